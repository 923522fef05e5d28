# frozen_string_literal: true

# The Ruby side of the bindings' benchmark (bench/bindings.sh): the loop of
# record_loop.cc, from Ruby.
#   ruby -I bindings/ruby/lib -I BUILD/bindings/ruby/ext/lib ruby_bench.rb STORE_DIR CALLS VIEWS
require "cctv"
require "json"

dir, calls, views = ARGV[0], Integer(ARGV[1]), Integer(ARGV[2])
actors = Array.new(1000) { |i| "user-#{i}" }
targets = Array.new(100) { |i| "/page/#{i}" }
tracker = Cctv::Client.open("rocksdb:#{dir}").tracker("bench")
10_000.times { |i| tracker.record_activity(actors[i % 1000], targets[i % 100]) }
tracker.flush

def timed
  wall = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  cpu = Process.clock_gettime(Process::CLOCK_THREAD_CPUTIME_ID)
  yield
  [Process.clock_gettime(Process::CLOCK_MONOTONIC) - wall, Process.clock_gettime(Process::CLOCK_THREAD_CPUTIME_ID) - cpu]
end

plain_wall, plain_cpu = timed do
  i = 0
  while i < calls
    tracker.record_activity(actors[i % 1000], targets[i % 100])
    i += 1
  end
end
tracker.flush
attr_wall, attr_cpu = timed do
  i = 0
  while i < calls
    tracker.record_activity(actors[i % 1000], targets[i % 100], { "browser" => "Chrome", "n" => i })
    i += 1
  end
end
tracker.flush
seen = 0
view_wall, = timed do
  views.times { |i| seen += tracker.view_activity(targets[i % 100], limit: 100).size }
end
abort "ruby_bench: views saw #{seen} activities, not #{views * 100}" unless seen == views * 100
puts JSON.generate(language: "ruby", calls: calls,
                   record_us: (plain_wall / calls * 1e6).round(3), record_cpu_us: (plain_cpu / calls * 1e6).round(3),
                   record_attrs_us: (attr_wall / calls * 1e6).round(3),
                   record_attrs_cpu_us: (attr_cpu / calls * 1e6).round(3),
                   view_us: (view_wall / views * 1e6).round(1))
