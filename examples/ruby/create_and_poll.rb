require_relative "pausepoint"

pause = create_seed_pause
puts "created #{pause["pause_id"]}"
while pause["status"] == "pending"
  sleep 2
  pause = call(:get, "/v1/pause/#{pause["pause_id"]}")
end
puts [pause["status"], pause["response_choice"], pause["responded_by"]].join(" ")
