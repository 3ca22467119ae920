#!/usr/bin/env ruby
# frozen_string_literal: true

# Interoperability checks for a STOMP broker, driven by the ruby-stomp gem (the STOMP
# client MCollective uses).
#
# Usage: ruby_stomp_client.rb HOST PORT LOGIN PASSCODE VERSION [TAG]
#
# VERSION is 1.0, 1.1 or 1.2.  For 1.0 the CONNECT frame carries no accept-version and
# no host header (plain STOMP 1.0); for 1.1 and 1.2 it carries accept-version:VERSION and
# host:mcollective, like MCollective's connector.  TAG (optional) makes destination names
# unique.  Destinations live under "mcollective." so the script also works against an
# ActiveMQ configured with the MCollective authorization map.
#
# Prints one line per check ("ok <name>" or "FAIL <name>: <why>") and exits 1 if any
# check failed, 2 on a usage error.

require 'stomp'

WAIT = 5.0   # seconds to wait for any expected frame
QUIET = 0.7  # seconds to wait to be sure that nothing (more) arrives

class CheckFailed < StandardError; end

# One connection plus a reader thread that files every received frame by command.
class Peer
  attr_reader :conn, :frames

  def initialize(conn)
    @conn = conn
    @lock = Mutex.new
    @cv = ConditionVariable.new
    @frames = { 'MESSAGE' => [], 'RECEIPT' => [], 'ERROR' => [] }
    @eof = false
    @reader = nil
  end

  def start_reader
    @reader ||= Thread.new do
      Thread.current.report_on_exception = false
      loop do
        f = begin
          @conn.receive
        rescue StandardError
          nil
        end
        @lock.synchronize do
          if f.nil?
            @eof = true
          else
            (@frames[f.command] ||= []) << f
          end
          @cv.broadcast
        end
        break if f.nil?
      end
    end
    self
  end

  def wait_for(timeout = WAIT)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + timeout
    @lock.synchronize do
      until yield
        left = deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)
        return false if left <= 0

        @cv.wait(@lock, left)
      end
      true
    end
  end

  def eof?
    @lock.synchronize { @eof }
  end

  def wait_eof(timeout = WAIT)
    wait_for(timeout) { @eof }
  end

  def receipt?(id)
    wait_for { @frames['RECEIPT'].any? { |f| f.headers['receipt-id'] == id } }
  end

  def wait_messages(count, timeout = WAIT)
    wait_for(timeout) { @frames['MESSAGE'].size >= count }
    @lock.synchronize { @frames['MESSAGE'].dup }
  end

  def take_messages
    @lock.synchronize do
      out = @frames['MESSAGE'].dup
      @frames['MESSAGE'].clear
      out
    end
  end

  def close
    @reader&.kill
    @reader&.join(1)
    @conn.disconnect if @conn.open?
  rescue StandardError
    nil
  end
end

class Checks
  attr_reader :failures

  def initialize(host, port, login, passcode, version, tag)
    @host = host
    @port = port
    @login = login
    @passcode = passcode
    @version = version
    @tag = tag
    @failures = 0
    @peers = []
    @seq = 0
  end

  def dest(kind, name)
    "/#{kind}/mcollective.interop.#{@tag}.#{name}"
  end

  def next_id(prefix)
    @seq += 1
    "#{prefix}-#{@tag}-#{@seq}"
  end

  def connect_headers(heartbeat = nil)
    return {} if @version == '1.0'

    h = { 'accept-version' => @version, 'host' => 'mcollective' }
    h['heart-beat'] = heartbeat if heartbeat
    h
  end

  def new_connection(passcode: @passcode, heartbeat: nil)
    Stomp::Connection.new(
      hosts: [{ login: @login, passcode: passcode, host: @host, port: @port, ssl: false }],
      reliable: false,
      connect_timeout: WAIT.to_i,
      connread_timeout: WAIT.to_i,
      connect_headers: connect_headers(heartbeat)
    )
  end

  def peer(heartbeat: nil, reader: true)
    conn = new_connection(heartbeat: heartbeat)
    cf = conn.connection_frame
    raise CheckFailed, 'no CONNECTED frame' if cf.nil?
    unless cf.command == 'CONNECTED'
      raise CheckFailed, "CONNECT answered with #{cf.command}: #{cf.headers['message']} #{cf.body}"
    end

    p = Peer.new(conn)
    @peers << p
    p.start_reader if reader
    p
  end

  def sub_args(p, destination, selector: nil, ack: nil)
    id = next_id('sub')
    h = { receipt: next_id('rcpt') }
    h[:selector] = selector if selector
    h[:ack] = ack if ack
    h[:id] = id unless @version == '1.0'
    p.conn.subscribe(destination, h)
    raise CheckFailed, "no RECEIPT for SUBSCRIBE to #{destination}" unless p.receipt?(h[:receipt])

    id
  end

  def publish(p, destination, body, headers = {})
    rid = next_id('rcpt')
    p.conn.publish(destination, body, headers.merge(receipt: rid))
    raise CheckFailed, "no RECEIPT for SEND to #{destination}" unless p.receipt?(rid)
  end

  def bodies(frames)
    frames.map { |m| m.body.b }
  end

  def check(name)
    detail = yield
    puts "ok #{name}#{detail ? ": #{detail}" : ''}"
  rescue StandardError => e
    @failures += 1
    puts "FAIL #{name}: #{e.message} (#{e.class})"
    warn e.backtrace.join("\n") if ENV['INTEROP_DEBUG']
    # Keep the remaining checks meaningful if the broker dropped the shared connection.
    if @main&.eof?
      begin
        @main = peer
        puts 'note: the broker closed the shared connection; reconnected'
      rescue StandardError => e2
        puts "note: the broker closed the shared connection; reconnect failed: #{e2.message}"
      end
    end
  ensure
    $stdout.flush
  end

  def close_all
    @peers.each(&:close)
  end

  # ---- checks ------------------------------------------------------------------------

  def check_connect
    @main = peer
    cf = @main.conn.connection_frame
    v = cf.headers['version']
    if @version == '1.0'
      raise CheckFailed, "1.0 CONNECT answered with version:#{v}" unless [nil, '1.0'].include?(v)
    elsif v != @version
      raise CheckFailed, "asked for #{@version}, CONNECTED says version:#{v}"
    end
    raise CheckFailed, "gem negotiated #{@main.conn.protocol}" unless @main.conn.protocol == @version

    "version=#{v.inspect} server=#{cf.headers['server']}"
  end

  def check_topic_fanout
    b = peer
    d = dest('topic', 'fanout')
    sub_args(@main, d)
    sub_args(b, d)
    publish(b, d, 'hello topic', mc_sender: 'rb')
    [['first', @main], ['second', b]].each do |who, p|
      msgs = p.wait_messages(1)
      raise CheckFailed, "#{who} subscriber got #{msgs.size} messages, want 1" unless msgs.size == 1

      m = msgs[0]
      raise CheckFailed, "#{who} got body #{m.body.inspect}" unless m.body.b == 'hello topic'.b
      raise CheckFailed, "destination #{m.headers['destination'].inspect}" unless m.headers['destination'] == d
      raise CheckFailed, 'MESSAGE without message-id' if m.headers['message-id'].to_s.empty?
      raise CheckFailed, "mc_sender not passed through: #{m.headers}" unless m.headers['mc_sender'] == 'rb'
      if @version != '1.0' && m.headers['subscription'].to_s.empty?
        raise CheckFailed, "MESSAGE without subscription header on #{@version}"
      end
    end
    sleep QUIET
    total = @main.take_messages.size + b.take_messages.size
    raise CheckFailed, "#{total} deliveries in total, want 2" unless total == 2

    nil
  end

  def check_queue_binary_body
    d = dest('queue', 'binary')
    sid = sub_args(@main, d)
    body = "before\0after\0\xFF\x01end".b
    publish(@main, d, body, 'content-type' => 'application/octet-stream')
    msgs = @main.wait_messages(1)
    raise CheckFailed, "got #{msgs.size} messages, want 1" unless msgs.size == 1

    m = msgs[0]
    raise CheckFailed, "body #{m.body.b.inspect}, want #{body.inspect}" unless m.body.b == body
    cl = m.headers['content-length']
    raise CheckFailed, "content-length #{cl.inspect}, want #{body.bytesize}" unless cl == body.bytesize.to_s
    if @version != '1.0' && m.headers['subscription'] != sid
      raise CheckFailed, "subscription header #{m.headers['subscription'].inspect}, want #{sid}"
    end

    @main.take_messages
    "#{body.bytesize} bytes with NULs intact"
  end

  def check_unsubscribe
    d = dest('queue', 'unsub')
    sid = sub_args(@main, d)
    rid = next_id('rcpt')
    @main.conn.unsubscribe(d, @version == '1.0' ? { receipt: rid } : { id: sid, receipt: rid })
    raise CheckFailed, 'no RECEIPT for UNSUBSCRIBE' unless @main.receipt?(rid)

    publish(@main, d, 'nobody listens')
    sleep QUIET
    got = bodies(@main.take_messages)
    raise CheckFailed, "delivered after UNSUBSCRIBE: #{got.inspect}" unless got.empty?

    nil
  end

  def check_queue_holds_and_round_robin
    d = dest('queue', 'rr')
    publish(@main, d, 'held')
    b = peer
    sub_args(b, d)
    got = bodies(b.wait_messages(1))
    raise CheckFailed, "held message: consumer got #{got.inspect}" unless got == ['held']

    b.take_messages
    c = peer
    sub_args(c, d)
    n = 6
    (1..n).each { |i| publish(@main, d, "m#{i}") }
    b.wait_for { b.frames['MESSAGE'].size + c.frames['MESSAGE'].size >= n }
    sleep QUIET
    gb = bodies(b.take_messages)
    gc = bodies(c.take_messages)
    want = (1..n).map { |i| "m#{i}" }
    unless (gb + gc).sort == want.sort
      raise CheckFailed, "queue delivered #{gb.inspect} / #{gc.inspect}, want each of #{want.inspect} once"
    end
    raise CheckFailed, "no round robin: #{gb.size} and #{gc.size}" if gb.empty? || gc.empty?

    "held 1, then split #{gb.size}/#{gc.size}"
  end

  def check_selector_identity
    d = dest('queue', 'nodes')
    n1 = peer
    n2 = peer
    sub_args(n1, d, selector: "mc_identity = 'node1'")
    sub_args(n2, d, selector: "mc_identity = 'node2'")
    %w[node1 node2 node3].each { |n| publish(@main, d, "for #{n}", mc_identity: n) }
    n1.wait_messages(1)
    n2.wait_messages(1)
    sleep QUIET
    g1 = bodies(n1.take_messages)
    g2 = bodies(n2.take_messages)
    raise CheckFailed, "node1 got #{g1.inspect}, node2 got #{g2.inspect}" unless g1 == ['for node1'] && g2 == ['for node2']

    n3 = peer
    sub_args(n3, d, selector: "mc_identity = 'node3'")
    m3 = n3.wait_messages(1)
    raise CheckFailed, "late node3 consumer got #{bodies(m3).inspect}" unless bodies(m3) == ['for node3']
    raise CheckFailed, "mc_identity header lost: #{m3[0].headers}" unless m3[0].headers['mc_identity'] == 'node3'

    nil
  end

  def check_selector_compound
    d = dest('topic', 'compound')
    sel = "(mc_identity = 'node1' OR mc_identity IN ('node7', 'node8')) " \
          "AND role LIKE 'w_b%' AND NOT (country = 'fr') AND country <> 'xx' " \
          'AND missing IS NULL AND role IS NOT NULL'
    s = peer
    sub_args(s, d, selector: sel)
    cases = [
      [{ mc_identity: 'node1', role: 'web', country: 'uk' }, true],
      [{ mc_identity: 'node8', role: 'webserver', country: 'de' }, true],
      [{ mc_identity: 'node2', role: 'web', country: 'uk' }, false],
      [{ mc_identity: 'node7', role: 'db', country: 'uk' }, false],
      [{ mc_identity: 'node1', role: 'web', country: 'fr' }, false],
      [{ mc_identity: 'node1', role: 'web', country: 'xx' }, false],
      [{ mc_identity: 'node1', role: 'web', country: 'uk', missing: 'x' }, false],
      [{ mc_identity: 'node7', country: 'uk' }, false]
    ]
    want = []
    cases.each_with_index do |(h, match), i|
      publish(@main, d, "case#{i}", h)
      want << "case#{i}" if match
    end
    s.wait_messages(want.size)
    sleep QUIET
    got = bodies(s.take_messages)
    raise CheckFailed, "selector #{sel.inspect} delivered #{got.inspect}, want #{want.inspect}" unless got == want

    "#{want.size} of #{cases.size} messages matched"
  end

  def check_receipts
    d = dest('queue', 'receipts')
    r1 = next_id('rcpt')
    h = { receipt: r1 }
    h[:id] = 'receipt-sub' unless @version == '1.0'
    @main.conn.subscribe(d, h)
    raise CheckFailed, 'no RECEIPT for SUBSCRIBE' unless @main.receipt?(r1)

    r2 = next_id('rcpt')
    @main.conn.publish(d, 'with receipt', receipt: r2)
    raise CheckFailed, 'no RECEIPT for SEND' unless @main.receipt?(r2)

    got = bodies(@main.wait_messages(1))
    raise CheckFailed, "got #{got.inspect}" unless got == ['with receipt']

    @main.take_messages
    "SUBSCRIBE #{r1}, SEND #{r2}"
  end

  def check_transaction
    d = dest('queue', 'tx')
    sub_args(@main, d)
    t1 = next_id('tx')
    @main.conn.begin(t1)
    @main.conn.publish(d, 'aborted', transaction: t1)
    @main.conn.abort(t1)
    t2 = next_id('tx')
    @main.conn.begin(t2)
    @main.conn.publish(d, 'committed', transaction: t2)
    sleep 0.3
    early = bodies(@main.take_messages)
    raise CheckFailed, "delivered before COMMIT: #{early.inspect}" unless early.empty?

    @main.conn.commit(t2)
    @main.wait_messages(1)
    sleep QUIET
    got = bodies(@main.take_messages)
    raise CheckFailed, "got #{got.inspect}, want only the committed message" unless got == ['committed']

    nil
  end

  def check_heartbeats
    return 'skipped (STOMP 1.0 has no heart-beats)' if @version == '1.0'

    # No reader thread while idle: the gem's own receive ticker reads the heart-beats.
    p = peer(heartbeat: '1000,1000', reader: false)
    hb = p.conn.connection_frame.headers['heart-beat']
    sx, sy = hb.to_s.split(',').map(&:to_i)
    raise CheckFailed, "CONNECTED heart-beat:#{hb.inspect}" if sx.nil? || sy.nil?
    raise CheckFailed, "broker will not send heart-beats (heart-beat:#{hb})" if sx.zero?
    raise CheckFailed, "broker does not want client heart-beats (heart-beat:#{hb})" if sy.zero?

    sleep 3.2
    raise CheckFailed, 'connection closed while idle' unless p.conn.open?
    raise CheckFailed, "no broker heart-beat read in 3.2 s (heart-beat:#{hb})" if p.conn.hbrecv_count < 1
    # (p.conn.hb_received is not checked: the gem's receive ticker runs at exactly the
    # negotiated period with no grace, so it sometimes finds nothing yet, with any broker.)
    raise CheckFailed, 'gem sent no heart-beats' if p.conn.hbsend_count < 1

    p.start_reader
    d = dest('queue', 'hb')
    sub_args(p, d)
    publish(p, d, 'after idle')
    got = bodies(p.wait_messages(1))
    raise CheckFailed, "not usable after idling: got #{got.inspect}" unless got == ['after idle']
    raise CheckFailed, 'broker closed the connection' if p.eof?

    "heart-beat:#{hb}, read #{p.conn.hbrecv_count}, sent #{p.conn.hbsend_count} in 3.2 s"
  end

  def check_wrong_password
    conn = begin
      new_connection(passcode: "#{@passcode}-wrong")
    rescue StandardError => e
      return "refused: #{e.class}"
    end
    cf = conn.connection_frame
    unless cf && cf.command == 'ERROR'
      conn.disconnect rescue nil # rubocop:disable Style/RescueModifier
      raise CheckFailed, "CONNECT with a wrong passcode answered #{cf&.command.inspect}"
    end
    p = Peer.new(conn).start_reader
    @peers << p
    raise CheckFailed, 'broker kept the connection open after the ERROR' unless p.wait_eof

    "ERROR message:#{cf.headers['message']}"
  end

  def check_disconnect
    p = peer(reader: false)
    rid = next_id('rcpt')
    p.conn.disconnect(receipt: rid)
    r = p.conn.disconnect_receipt
    raise CheckFailed, "DISCONNECT answered #{r&.command.inspect}" unless r && r.command == 'RECEIPT'
    raise CheckFailed, "receipt-id #{r.headers['receipt-id'].inspect}, want #{rid}" unless r.headers['receipt-id'] == rid

    nil
  end

  def check_header_escaping
    d = dest('queue', 'escape')
    sub_args(@main, d)
    value = @version == '1.0' ? 'a:b' : "colon:a back\\slash new\nline"
    publish(@main, d, 'esc', x_odd: value)
    msgs = @main.wait_messages(1)
    @main.take_messages
    raise CheckFailed, "got #{msgs.size} messages, want 1" unless msgs.size == 1

    got = msgs[0].headers['x_odd']
    raise CheckFailed, "header value #{value.inspect} came back as #{got.inspect}" unless got == value

    nil
  end

  def check_large_body
    d = dest('queue', 'large')
    sub_args(@main, d)
    body = ((0..255).map(&:chr).join * 1024).b # 256 KiB, every byte value, NULs included
    publish(@main, d, body)
    msgs = @main.wait_messages(1, 10)
    @main.take_messages
    unless msgs.size == 1 && msgs[0].body.b == body
      raise CheckFailed, "large body not delivered intact (#{msgs.map { |m| m.body.bytesize }})"
    end

    "#{body.bytesize} bytes"
  end

  def check_expires
    d = dest('queue', 'expires')
    now_ms = (Time.now.to_f * 1000).to_i
    publish(@main, d, 'expired', expires: (now_ms - 60_000).to_s)
    publish(@main, d, 'fresh', expires: (now_ms + 60_000).to_s)
    sub_args(@main, d)
    @main.wait_messages(1)
    sleep QUIET
    got = bodies(@main.take_messages)
    raise CheckFailed, "got #{got.inspect}, want only the unexpired message" unless got == ['fresh']

    nil
  end

  def check_client_ack_redelivery
    d = dest('queue', 'ack')
    a = peer
    mode = @version == '1.0' ? 'client' : 'client-individual'
    sid = sub_args(a, d, ack: mode)
    publish(a, d, 'one')
    publish(a, d, 'two')
    msgs = a.wait_messages(2)
    raise CheckFailed, "got #{bodies(msgs).inspect}" unless bodies(msgs) == %w[one two]

    first = msgs[0]
    rid = next_id('rcpt')
    case @version
    when '1.0' then a.conn.ack(first.headers['message-id'], receipt: rid)
    when '1.1' then a.conn.ack(first.headers['message-id'], subscription: sid, receipt: rid)
    else a.conn.ack(first.headers['ack'], receipt: rid)
    end
    raise CheckFailed, 'no RECEIPT for ACK' unless a.receipt?(rid)

    a.close
    # "two" was never acknowledged: the broker must hand it to the next consumer.
    b = peer
    sub_args(b, d)
    b.wait_messages(1)
    sleep QUIET
    got = bodies(b.take_messages)
    raise CheckFailed, "after disconnect the next consumer got #{got.inspect}, want [\"two\"]" unless got == ['two']

    "ack mode #{mode}"
  end

  def run
    check('connect') { check_connect }
    return unless @main

    check('topic fan-out') { check_topic_fanout }
    check('queue binary body') { check_queue_binary_body }
    check('unsubscribe') { check_unsubscribe }
    check('queue holds and round-robin') { check_queue_holds_and_round_robin }
    check('selector mc_identity') { check_selector_identity }
    check('selector compound') { check_selector_compound }
    check('receipts') { check_receipts }
    check('transaction') { check_transaction }
    check('header escaping') { check_header_escaping }
    check('large body') { check_large_body }
    check('expires') { check_expires }
    check('client ack redelivery') { check_client_ack_redelivery }
    check('heart-beats') { check_heartbeats }
    check('wrong password') { check_wrong_password }
    check('disconnect') { check_disconnect }
  end
end

if ARGV.size < 5 || ARGV.size > 6 || !%w[1.0 1.1 1.2].include?(ARGV[4])
  warn 'usage: ruby_stomp_client.rb HOST PORT LOGIN PASSCODE 1.0|1.1|1.2 [TAG]'
  exit 2
end
host, port, login, passcode, version, tag = ARGV
tag ||= "rb#{version.delete('.')}_#{Process.pid}"
puts "ruby-stomp #{Stomp::Version::STRING}, STOMP #{version}, #{host}:#{port}"
checks = Checks.new(host, port.to_i, login, passcode, version, tag)
begin
  checks.run
ensure
  checks.close_all
end
if checks.failures.positive?
  puts "#{checks.failures} check(s) failed"
  exit 1
end
puts 'all checks passed'
exit 0
