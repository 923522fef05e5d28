# frozen_string_literal: true

# What the tests share: a store for each kind (a fresh embedded store in a
# temporary directory; dynalite from the Node harness in tests/dynamo,
# started once per test process and killed by its PID at exit), and
# running a Ruby program of its own.
require "minitest/autorun"
require "tmpdir"
require "securerandom"
require "open3"
require "rbconfig"
require "cctv"

module CctvTest
  OWNER = Process.pid

  class << self
    # http://127.0.0.1:PORT of a dynalite all of this process's tests share.
    def dynalite_url
      @dynalite_url ||= start_dynalite
    end

    # A store URI for dynalite, with a prefix that keeps each test's tables
    # apart.
    def dynalite_store
      "dynamodb://local?endpoint=#{dynalite_url}&table_prefix=t#{SecureRandom.hex(4)}-"
    end

    # Runs `script` (Ruby source) in a Ruby of its own that finds the gem
    # as this one does; returns [stdout, stderr, status].
    def run_ruby(script, env = {})
      lib = File.expand_path("../lib", __dir__)
      ext = $LOAD_PATH.find { |dir| File.exist?(File.join(dir, "cctv", "cctv_ext.so")) }
      Open3.capture3(env, RbConfig.ruby, "-I", lib, "-I", ext, "-e", script)
    end

    private

    def start_dynalite
      harness = ENV.fetch("CCTV_DYNAMO_HARNESS") { raise "CCTV_DYNAMO_HARNESS names tests/dynamo" }
      reader, writer = IO.pipe
      pid = spawn("node", File.join(harness, "start-dynalite.js"), out: writer, err: File::NULL)
      writer.close
      line = reader.gets or raise "dynalite printed no port"
      port = line[/(\d+)\s*\z/, 1] or raise "dynalite printed #{line.inspect}"
      at_exit do
        # Forked children run at_exit too; only the process that started it
        # stops it.
        next unless Process.pid == OWNER

        Process.kill(:KILL, pid)
        Process.wait(pid)
      rescue SystemCallError
        nil
      end
      "http://127.0.0.1:#{port}"
    end
  end

  # Each test gets a store of each kind it asks for.
  module Stores
    def setup
      super
      @dir = Dir.mktmpdir("cctv-ruby-")
    end

    def teardown
      Cctv.close_all
      FileUtils.rm_rf(@dir)
      super
    end

    def embedded_store = "rocksdb:#{@dir}/data"
  end
end
