# usage: ruby verify_webhook.rb SECRET WEBHOOK_ID WEBHOOK_TIMESTAMP WEBHOOK_SIGNATURE < body
require "base64"
require "openssl"

def verify(secret, id, timestamp, signatures, body)
  return false if (Time.now.to_i - timestamp.to_i).abs > 300
  key = Base64.decode64(secret.delete_prefix("whsec_"))
  expected = Base64.strict_encode64(OpenSSL::HMAC.digest("SHA256", key, "#{id}.#{timestamp}.#{body}"))
  signatures.split(" ").any? { |s| s.start_with?("v1,") && OpenSSL.secure_compare(s.delete_prefix("v1,"), expected) }
end

ok = verify(ARGV[0], ARGV[1], ARGV[2], ARGV[3], $stdin.read)
puts(ok ? "valid" : "invalid")
exit(ok ? 0 : 1)
