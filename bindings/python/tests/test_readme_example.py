"""The 2014 gem's README example, in Python, in a process of its own: on
DynamoDB as the gem configured it (dynalite's endpoint from the
environment), and on the embedded store."""

from conftest import run_python

EXAMPLE = """
import datetime
import cctv

pageview_tracker = cctv.Tracker(
    'my-app-pageviews',
    {settings}
)

pageview_tracker.record_activity('bob', '/store')

today = datetime.date.today()
for activity in pageview_tracker.view_activity('/store', (today.replace(day=1), today)):
    print(activity.actor, activity.target, type(activity.time).__name__, activity.time.tzinfo)
"""


def test_the_example_runs_against_dynalite(dynalite_url):
    settings = ("access_key_id='your-aws-access-key-id', "
                "secret_access_key='your-aws-secret-access-key', region='your-aws-region'")
    done = run_python(EXAMPLE.format(settings=settings), {"AWS_ENDPOINT_URL_DYNAMODB": dynalite_url})
    assert done.returncode == 0, done.stderr
    assert done.stdout == "bob /store datetime UTC\n"


def test_the_example_runs_on_the_embedded_store(embedded_store):
    example = EXAMPLE.format(settings=f"store={embedded_store!r}")
    done = run_python(example)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "bob /store datetime UTC\n"
    # What it recorded was written at exit: a second run sees both.
    done = run_python(example)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "bob /store datetime UTC\n" * 2
