# frozen_string_literal: true

require "helper"
require "socket"

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
end
