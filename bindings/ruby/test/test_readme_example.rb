# frozen_string_literal: true

require "helper"

# The 2014 gem's README example, as written, in a Ruby process of its own.
# One fix: it read `Date.beginning_of_month..Date.today`, and no library has
# a Date.beginning_of_month; ActiveSupport has the instance method, so the
# range reads Date.today.beginning_of_month..Date.today, with ActiveSupport
# loaded as a Rails application has it.
class TestReadmeExample < Minitest::Test
  include CctvTest::Stores

  EXAMPLE = <<~RUBY
    require 'cctv'
    require 'active_support'
    require 'active_support/core_ext/date'

    pageview_tracker = Cctv::Tracker.new(
      'my-app-pageviews',
      %<settings>s
    )

    pageview_tracker.record_activity('bob', '/store')

    page = pageview_tracker.view_activity('/store', Date.today.beginning_of_month..Date.today)
    page.each { |activity| puts "\#{activity.actor} \#{activity.target} \#{activity.time.class}" }
  RUBY

  # DynamoDB as the gem's README configures it; the endpoint, dynalite's,
  # comes from the environment.
  def test_the_gems_example_runs_as_written_against_dynalite
    settings = <<~RUBY.strip
      access_key_id:     'your-aws-access-key-id',
        secret_access_key: 'your-aws-secret-access-key',
        region:            'your-aws-region'
    RUBY
    out, err, status = CctvTest.run_ruby(format(EXAMPLE, settings: settings),
                                         "AWS_ENDPOINT_URL_DYNAMODB" => CctvTest.dynalite_url)
    assert status.success?, err
    assert_equal "bob /store Time\n", out
  end

  def test_the_gems_example_runs_on_the_embedded_store
    out, err, status = CctvTest.run_ruby(format(EXAMPLE, settings: "store: '#{embedded_store}'"))
    assert status.success?, err
    assert_equal "bob /store Time\n", out
    # And what it recorded was written at exit: a second run sees both.
    out, err, status = CctvTest.run_ruby(format(EXAMPLE, settings: "store: '#{embedded_store}'"))
    assert status.success?, err
    assert_equal "bob /store Time\n" * 2, out
  end
end
