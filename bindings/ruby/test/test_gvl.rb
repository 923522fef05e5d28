# frozen_string_literal: true

require "helper"
require "socket"
require "timeout"

# Views, flushes and opening a store release the GVL while they wait. The
# proof: a cctv server reached through a relay that is itself Ruby
# threads. Were the GVL held while the library waits for an answer, the
# relay could not run, and the answer would never come.
class TestGvl < Minitest::Test
  include CctvTest::Stores

  def setup
    super
    binary = ENV.fetch("CCTV_BINARY") { raise "CCTV_BINARY names the cctv command" }
    reader, writer = IO.pipe
    @server = spawn(binary, "--store", embedded_store, "serve", "--listen", "127.0.0.1:0",
                    out: writer, err: File::NULL)
    writer.close
    line = reader.gets or raise "cctv serve printed nothing"
    @server_port = Integer(line[%r{http://127\.0\.0\.1:(\d+)}, 1])
    # Whatever else it prints is read, so that it never blocks on a full
    # pipe or dies on a closed one.
    @draining = Thread.new { reader.read }
    @relay = TCPServer.new("127.0.0.1", 0)
    @relaying = Thread.new { relay_connections }
  end

  def teardown
    Cctv.close_all
    @relaying&.kill
    @relay&.close
    if @server
      Process.kill(:TERM, @server)
      Process.wait(@server)
    end
    super
  end

  def relay_connections
    loop do
      inbound = @relay.accept
      outbound = TCPSocket.new("127.0.0.1", @server_port)
      [[inbound, outbound], [outbound, inbound]].each do |from, to|
        Thread.new do
          loop do
            data = from.readpartial(65_536)
            sleep 0.01 while @paused
            to.write(data)
          end
        rescue IOError, SystemCallError
          to.close_write rescue nil
        end
      end
    end
  end

  def test_the_library_waits_without_holding_the_gvl
    client = Cctv::Client.open("http://127.0.0.1:#{@relay.addr[1]}")
    tracker = client.tracker("relayed")
    300.times { |i| tracker.record_activity("amy", "/relayed", { "i" => i }) }
    tracker.flush
    assert_equal 300, tracker.each_activity("/relayed", page_size: 100).count
    assert_equal 300, tracker.count_activity("/relayed", Date.today, bucket: :day).sum(&:count)
    assert_equal [["/relayed", 300]], tracker.top_targets(Date.today).map { |c| [c.target, c.count] }
    client.close
  end

  class Stop < StandardError; end

  # Thread#raise while a view waits: the view cannot be cut short, so the
  # exception comes once it has its answer -- raised cleanly, past the
  # library's frames -- and the tracker goes on working.
  def test_an_exception_raised_into_a_waiting_thread_comes_when_the_wait_ends
    tracker = Cctv::Client.open("http://127.0.0.1:#{@relay.addr[1]}").tracker("interrupted")
    10.times { tracker.record_activity("amy", "/waited") }
    tracker.flush
    @paused = true
    viewer = Thread.new { tracker.view_activity("/waited") }
    sleep 0.3 # the view is waiting for the paused relay
    viewer.raise(Stop, "stop")
    sleep 0.3
    @paused = false
    assert_raises(Stop) { viewer.join }
    assert_equal 10, tracker.view_activity("/waited").size
  end

  # A record waiting for room in a full queue stops at an interrupt, and
  # the activity is not recorded: a caller that retries records it once.
  def test_a_timeout_while_the_queue_is_full_records_nothing
    tracker = Cctv::Client.open("http://127.0.0.1:#{@relay.addr[1]}", enqueue_timeout: 60).tracker("full")
    @paused = true # the server hears nothing: the queue fills
    accepted = 0
    timed_out = false
    waited = nil
    until timed_out || accepted > 200_000
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      begin
        Timeout.timeout(0.5) { tracker.record_activity("amy", "/full", { "n" => accepted }) }
        accepted += 1
      rescue Timeout::Error
        timed_out = true
        waited = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
      end
    end
    assert timed_out, "the queue never filled"
    # Stopped by the interrupt, not by the 60 s enqueue timeout.
    assert_operator waited, :<, 30
    @paused = false
    tracker.flush
    assert_equal accepted, tracker.each_activity("/full").count
  end
end
