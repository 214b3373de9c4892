# Shared helpers for the Ruby examples (standard library only).
$stdout.sync = true  # print "created ..." at once, even into a pipe
require "json"
require "net/http"
require "uri"

API = ENV.fetch("PAUSEPOINT_URL", "http://127.0.0.1:8787")
KEY = ENV["PAUSEPOINT_API_KEY"] || File.read(".wrangler/dev-api-key").strip

def call(method, path, body = nil)
  uri = URI(API + path)
  req = (method == :post ? Net::HTTP::Post : Net::HTTP::Get).new(uri)
  req["Authorization"] = "Bearer #{KEY}"
  req["Content-Type"] = "application/json"
  req.body = JSON.generate(body) if body
  res = Net::HTTP.start(uri.host, uri.port, read_timeout: 70) { |h| h.request(req) }
  raise "#{res.code}: #{res.body}" unless res.code.start_with?("2")
  JSON.parse(res.body)
end

def create_seed_pause
  call(:post, "/v1/pause", recipient: "+1 (312) 847-1928", message: "Wire $8,400 to Meridian?",
                           options: %w[Approve Reject], timeout_hours: 4, timeout_default: "Reject")
end
