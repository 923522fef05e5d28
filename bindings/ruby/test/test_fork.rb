# frozen_string_literal: true

require "helper"

# A Ruby process that makes a tracker and then forks -- as Puma, Unicorn
# and Resque do -- goes on recording in the parent and in every child:
# nothing is lost, nothing is written twice, and what each process queued
# is written when it exits.
class TestFork < Minitest::Test
  include CctvTest::Stores

  APP = <<~RUBY
    require "cctv"
    tracker = Cctv::Tracker.new("forks", store: ARGV.fetch(0))
    # Queued, not yet written, when the process forks: the parent's alone.
    200.times { |i| tracker.record_activity("parent", "before", { "n" => i }) }
    children = 3.times.map do |c|
      fork do
        500.times { |i| tracker.record_activity("child", "child-\#{c}", { "n" => i }) }
        # Read through the same store, right after recording.
        exit 3 unless tracker.view_activity("child-\#{c}", limit: 1000).size == 500
        if c.zero?
          # A child that forks in turn, as a Resque worker does per job.
          pid = Process.fork do
            100.times { |i| tracker.record_activity("grandchild", "grandchild", { "n" => i }) }
          end
          Process.wait(pid)
          exit 4 unless $?.success?
        end
        # A normal exit: at_exit writes what is still queued.
      end
    end
    200.times { |i| tracker.record_activity("parent", "after", { "n" => i }) }
    children.each do |pid|
      Process.wait(pid)
      exit 2 unless $?.success?
    end
    puts "forked"
  RUBY

  EXPECTED = { "before" => 200, "after" => 200, "child-0" => 500, "child-1" => 500,
               "child-2" => 500, "grandchild" => 100 }.freeze

  def check_after_the_app(store)
    out, err, status = CctvTest.run_ruby(APP.sub("ARGV.fetch(0)", store.inspect))
    assert status.success?, "the app failed (#{status.exitstatus}): #{err}"
    assert_equal "forked\n", out
    tracker = Cctv::Client.open(store).tracker("forks")
    ids = []
    EXPECTED.each do |target, count|
      activities = tracker.each_activity(target).to_a
      numbers = activities.map { |a| a.attributes["n"] }
      assert_equal (0...count).to_a, numbers.sort, "#{target}: each n once, none lost"
      ids.concat(activities.map(&:id))
    end
    assert_equal ids.size, ids.uniq.size, "two activities took one id"
  end

  # The children write and read through the parent, which holds the store.
  def test_forked_children_share_the_parents_embedded_store
    check_after_the_app(embedded_store)
  end

  # Each child opens its own connections to DynamoDB.
  def test_forked_children_write_to_dynamodb_on_their_own
    check_after_the_app(CctvTest.dynalite_store)
  end
end
