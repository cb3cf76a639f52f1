#!/bin/sh
# As PID 1 a process gets no default signal handlers, so trap TERM/INT explicitly; sleeping in
# the background and `wait`ing keeps the shell able to run the trap immediately.
trap 'exit 0' TERM INT
while true; do
  sleep 86400 &
  wait $!
done
