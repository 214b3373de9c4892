module pausepoint.example/agent

go 1.19
