#!/bin/sh
# SSH_ASKPASS for the benchmark's logins: the stack asks only for the code,
# which the driver puts in the client's environment before each login.
printf '%s\n' "$BENCH_OTP_CODE"
