# frozen_string_literal: true

# cctv: record who (the actor) did what (the table) to which thing (the
# target), when; ask what happened to a target or what an actor did, and
# how often. In-process, over cctv's engine: recording queues and returns,
# a writer thread stores in batches, and nothing accepted is lost.
#
#   require "cctv"
#   pageviews = Cctv::Tracker.new("pageviews", store: "rocksdb:./cctv-data")
#   pageviews.record_activity("bob", "/store")
#   pageviews.view_activity("/store", Date.today..Date.today).each { |a| puts a.actor }
require "date"
require "digest"
require "cctv/version"
require "cctv/cctv_ext"

module Cctv
  class InvalidArgument
    def initialize(message = nil, field = nil)
      super(message)
      @field = field
    end
  end

  # One activity, as views return it: actor, target, time (a UTC Time), id
  # (16 hex digits) and attributes (a Hash with String keys).
  class Activity
    def to_h
      { actor: actor, target: target, time: time, id: id, attributes: attributes }
    end
  end

  # A page of a view: its activities (newest first unless asked otherwise),
  # and next_cursor, to pass as cursor: for the next page (nil on the last).
  # Enumerable over its activities.
  class Page
    include Enumerable

    def each(&block)
      return enum_for(:each) unless block

      activities.each(&block)
      self
    end

    def size = activities.size
    def empty? = activities.empty?
    def last_page? = next_cursor.nil?
  end

  # An open store, shared by the trackers made from it. Safe to use from
  # many threads, and across fork (see README: a child opens its own, or on
  # the embedded store goes through its parent).
  class Client
    # Opens the store `uri` names: "rocksdb:PATH" (the embedded store),
    # "dynamodb://REGION?endpoint=URL" or "http://HOST:PORT" (a cctv
    # server; api_key: or CCTV_API_KEY). enqueue_timeout: seconds recording
    # waits for room in a full queue before it raises Cctv::Backpressure.
    def self.open(uri, api_key: nil, read_only: false, enqueue_timeout: 5)
      Cctv.send(:opened, _open(uri, api_key, read_only, enqueue_timeout))
    end

    # Opens DynamoDB (or a compatible engine at endpoint:). Settings not
    # given are found the usual AWS way: AWS_REGION, AWS_ACCESS_KEY_ID,
    # AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL_DYNAMODB, ~/.aws/credentials.
    def self.dynamodb(region: nil, endpoint: nil, access_key_id: nil, secret_access_key: nil,
                      session_token: nil, profile: nil, table_prefix: nil, read_only: false,
                      enqueue_timeout: 5)
      settings = { region: region, endpoint: endpoint, access_key_id: access_key_id,
                   secret_access_key: secret_access_key, session_token: session_token,
                   profile: profile, table_prefix: table_prefix }
      Cctv.send(:opened, _open_dynamodb(settings, read_only, enqueue_timeout))
    end

    # A tracker for `table`, created on first use.
    def tracker(table) = _tracker(table)

    def closed? = !!@closed

    # Writes everything recorded, then closes: calls on it, or on its
    # trackers, raise Cctv::Error from then on. Idempotent.
    def close
      @closed = true
      Cctv.send(:closed, self)
      _close
    end
  end

  # Records and views the activities of one table. Safe to use from many
  # threads.
  class Tracker
    # As the 2014 gem: Cctv::Tracker.new("my-app-pageviews",
    # access_key_id: ..., secret_access_key: ..., region: ...) records to
    # DynamoDB. endpoint: names a DynamoDB-compatible engine; store: any
    # store ("rocksdb:./cctv-data", "dynamodb://eu-west-1",
    # "http://127.0.0.1:8080"). With none of these, CCTV_STORE, else
    # DynamoDB as the environment configures it. Trackers made this way
    # on the same store share one client.
    def self.new(table, store: nil, access_key_id: nil, secret_access_key: nil, region: nil,
                 endpoint: nil, session_token: nil, table_prefix: nil, api_key: nil,
                 enqueue_timeout: 5)
      dynamo = { region: region, endpoint: endpoint, access_key_id: access_key_id,
                 secret_access_key: secret_access_key, session_token: session_token,
                 table_prefix: table_prefix }.compact
      if store && !dynamo.empty?
        raise InvalidArgument.new("store: give either store: or the DynamoDB settings " \
                                  "(region:, endpoint:, access_key_id:, ...), not both", "store")
      end
      store ||= ENV["CCTV_STORE"] if dynamo.empty? && ENV["CCTV_STORE"] && !ENV["CCTV_STORE"].empty?
      client = Cctv.send(:shared_client, store, dynamo, api_key, enqueue_timeout)
      begin
        tracker = client.tracker(table)
      rescue StandardError
        Cctv.send(:released, client)
        raise
      end
      tracker.instance_variable_set(:@shared, true)
      tracker
    end

    # The activities on `target` in `range`: a Page of at most limit: (1 to
    # 10,000; 100) activities, order: :newest_first (or :oldest_first),
    # from cursor: (a page's next_cursor). `range` is a Range of Time,
    # DateTime or Date (a Date is that day in local time, and a Date end
    # takes in the whole day: Date.today..Date.today is today), one Date,
    # or nil for all time.
    def view_activity(target, range = nil, limit: nil, order: :newest_first, cursor: nil)
      _view(false, target, *Cctv.bounds(range), limit, Cctv.oldest_first?(order), cursor)
    end

    # As view_activity, for what `actor` did.
    def view_actor_activity(actor, range = nil, limit: nil, order: :newest_first, cursor: nil)
      _view(true, actor, *Cctv.bounds(range), limit, Cctv.oldest_first?(order), cursor)
    end

    # Every activity on `target` in `range`, page by page as it goes (an
    # Enumerator without a block: each_activity("/store").lazy.first(10)).
    def each_activity(target, range = nil, order: :newest_first, page_size: 1000, &block)
      return enum_for(:each_activity, target, range, order: order, page_size: page_size) unless block

      each_page(false, target, range, order, page_size, &block)
    end

    # As each_activity, for what `actor` did.
    def each_actor_activity(actor, range = nil, order: :newest_first, page_size: 1000, &block)
      unless block
        return enum_for(:each_actor_activity, actor, range, order: order, page_size: page_size)
      end

      each_page(true, actor, range, order, page_size, &block)
    end

    # Activities per bucket (:minute, :hour or :day) of `range` -- on
    # `target`, or on the whole table when target is nil -- as
    # Cctv::BucketCount(start, count), oldest first. unique: true counts
    # distinct actors instead (estimates within about 1%). utc_offset:
    # where days start ("+05:30", or minutes).
    def count_activity(target = nil, range = nil, bucket: :hour, unique: false, utc_offset: nil)
      _count(target, *Cctv.bounds(range), bucket.to_s, unique, utc_offset)
    end

    # Distinct actors over all of `range`, on `target` or the whole table.
    def unique_actors(target = nil, range = nil)
      _unique_actors(target, *Cctv.bounds(range))
    end

    # The `limit` busiest targets of `range`, as Cctv::TargetCount(target,
    # count), busiest first.
    def top_targets(range = nil, limit: 10)
      _top_targets(*Cctv.bounds(range), limit)
    end

    def client = @client

    # Flushes. A tracker from Tracker.new also closes its client once no
    # other tracker from Tracker.new uses it; one from Client#tracker
    # leaves its client open.
    def close
      return if closed?

      begin
        flush unless @client.closed?
      ensure
        # Only the call that closed it lets go of the shared client.
        Cctv.send(:released, @client) if _close && @shared
      end
    end

    private

    def each_page(by_actor, key, range, order, page_size)
      bounds = Cctv.bounds(range)
      oldest_first = Cctv.oldest_first?(order)
      cursor = nil
      loop do
        page = _view(by_actor, key, *bounds, page_size, oldest_first, cursor)
        page.activities.each { |activity| yield activity }
        cursor = page.next_cursor
        break if cursor.nil?
      end
      self
    end
  end

  ORDERS = { newest_first: false, desc: false, oldest_first: true, asc: true }.freeze
  private_constant :ORDERS

  class << self
    # [from, to, to_inclusive] of a range, as the native methods take it.
    def bounds(range)
      case range
      when nil then [nil, nil, false]
      when Range then [range.begin, *range_end(range)]
      when ->(r) { whole_day?(r) } then [range, range + 1, false]
      else
        raise InvalidArgument.new(
          "range: must be a Range of Time, DateTime or Date (e.g. Date.today..Date.today), " \
          "one Date, or nil for all time, not a #{range.class}", "range"
        )
      end
    end

    def oldest_first?(order)
      ORDERS.fetch(order.respond_to?(:to_sym) ? order.to_sym : order) do
        raise InvalidArgument.new("order: must be :newest_first or :oldest_first, not #{order.inspect}",
                                  "order")
      end
    end

    # Writes what every open client holds, and closes it: at exit, in the
    # parent and in every child.
    def close_all
      clients = @clients_mutex.synchronize { @clients.keys }
      clients.each do |client|
        client.close
      rescue StandardError => e
        warn "cctv: closing a client at exit: #{e.message}"
      end
    end

    private

    def range_end(range)
      last = range.end
      return [nil, false] if last.nil?
      # A Date end takes in its whole day; a Time end is itself.
      return [range.exclude_end? ? last : last + 1, false] if whole_day?(last)

      [last, !range.exclude_end?]
    end

    def whole_day?(value) = value.is_a?(Date) && !value.is_a?(DateTime)

    def opened(client)
      @clients_mutex.synchronize { @clients[client] = true }
      client
    end

    def closed(client)
      @clients_mutex.synchronize do
        @clients.delete(client)
        @shared.delete_if { |_, entry| entry[:client].equal?(client) }
      end
    end

    def shared_client(store, dynamo, api_key, enqueue_timeout)
      # A digest, so that no secret is kept as a Hash key; where the store
      # is, not enqueue_timeout: an embedded store opens once per process.
      key = Digest::SHA256.hexdigest(Marshal.dump([store, dynamo.sort, api_key]))
      @clients_mutex.synchronize do
        entry = @shared[key]
        if entry.nil?
          client = if store
                     Client._open(store, api_key, false, enqueue_timeout)
                   else
                     Client._open_dynamodb(dynamo, false, enqueue_timeout)
                   end
          @clients[client] = true
          entry = @shared[key] = { client: client, users: 0 }
        end
        entry[:users] += 1
        entry[:client]
      end
    end

    def released(client)
      @clients_mutex.synchronize do
        key, entry = @shared.find { |_, e| e[:client].equal?(client) }
        next unless entry && (entry[:users] -= 1).zero?

        # Closed under the lock: a Tracker.new that comes meanwhile opens
        # the store once this one has let go of it.
        @shared.delete(key)
        @clients.delete(client)
        client.instance_variable_set(:@closed, true)
        client._close
      end
    end
  end

  # Open clients (for close_all at exit), and those Tracker.new shares.
  @clients = {}.compare_by_identity
  @shared = {}
  @clients_mutex = Mutex.new

  # Keeps clients working across fork (see Cctv::Client): before the fork,
  # an embedded store starts being served to the children to come. The
  # child's side needs no hook: libcctv's pthread_atfork handler drops the
  # parent's clients in every child, however it was forked.
  module ForkHook
    def _fork
      Cctv._prepare_fork
      super
    end
  end
  Process.singleton_class.prepend(ForkHook)

  at_exit { Cctv.close_all }
end
