require_relative "pausepoint"

pause = create_seed_pause
puts "created #{pause["pause_id"]}"
pause = call(:get, "/v1/pause/#{pause["pause_id"]}?wait=55") while pause["status"] == "pending"
puts [pause["status"], pause["response_choice"], pause["responded_by"]].join(" ")
