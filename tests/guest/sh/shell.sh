#!/bin/sh
# Checks what a shell script needs of the kernel, run by busybox sh as init:
# pipelines, command substitution, subshells, background jobs killed and
# waited for, traps, here-documents, fd redirections, read, parallel jobs.
# Prints "ok NAME" per check and "N passed, 0 failed"; exits 1 at the first
# failure, like the C checks.

passed=0
ok() { passed=$((passed + 1)); echo "ok $1"; }
fail() { echo "FAIL $1: $2"; exit 1; }
check() { name=$1; shift; if "$@"; then ok "$name"; else fail "$name" "$*"; fi; }
eq() { [ "$1" = "$2" ] || { echo "  got [$1], expected [$2]"; return 1; }; }

cd /tmp || fail cd "no /tmp"

# Pipelines and command substitution.
check "pipeline" eq "$(echo hello world | tr a-z A-Z | cut -d' ' -f2)" "WORLD"
check "long pipeline" eq "$(seq 1 1000 | grep 7 | sort -rn | head -n 3 | tr '\n' ' ')" "997 987 979 "
check "pipeline of 100 KB" eq "$(head -c 100000 /dev/zero | tr '\0' x | wc -c)" "100000"
check "nested substitution" eq "$(echo $(echo $(echo deep)))" "deep"
check "pipeline status is the last command's" sh -c 'true | false; [ $? -eq 1 ]'

# Subshells keep their changes to themselves.
x=outer
(x=inner; cd /; exit 3)
st=$?
check "subshell exit status" eq "$st" 3
check "subshell variables stay inside" eq "$x" outer
check "subshell cwd stays inside" eq "$(pwd)" /tmp

# Background jobs: wait returns their status; a killed job reports 128+signal.
sleep 30 &
victim=$!
(exit 7) &
seven=$!
kill "$victim"
wait "$victim"
check "killed job status is 128+SIGTERM" eq "$?" 143
wait "$seven"
check "background job status" eq "$?" 7

# Parallel jobs write their results; all are waited for.
for i in 1 2 3 4 5 6; do
	( n=0; for j in $(seq 1 200); do n=$((n + j)); done; echo "$i $n" > "/tmp/job.$i" ) &
done
wait
check "parallel jobs all finished" eq "$(cat /tmp/job.* | awk '{s += $2} END {print s}')" 120600

# Traps: on a signal, and on exit of a subshell.
got=none
trap 'got=usr1' USR1
kill -USR1 $$
check "trap on SIGUSR1" eq "$got" usr1
trap - USR1
check "EXIT trap in a subshell" eq "$(sh -c 'trap "echo bye" EXIT; echo hi')" "hi
bye"
check "trap on TERM ends a sleep" eq "$(sh -c 'trap "echo caught; exit 0" TERM; kill -TERM $$; sleep 5; echo not-reached')" caught

# Here-documents and redirections.
cat > /tmp/heredoc <<END
line one
$x
END
check "here-document with expansion" eq "$(cat /tmp/heredoc)" "line one
outer"
check "quoted here-document" eq "$(cat <<'END'
$x stays
END
)" '$x stays'
exec 3> /tmp/fd3
echo to-three >&3
exec 3>&-
check "exec fd redirection" eq "$(cat /tmp/fd3)" to-three
check "stderr to stdout" eq "$(sh -c 'echo err >&2' 2>&1)" err
check "stdin from a file" eq "$(wc -l < /tmp/heredoc)" 2
echo appended >> /tmp/fd3
check "append" eq "$(tail -n 1 /tmp/fd3)" appended
check "/dev/null swallows" eq "$(echo gone > /dev/null; echo kept)" kept

# read, from a pipe and from a file.
echo "a b c" | { read -r one two rest; check "read from a pipe" eq "$one-$two-$rest" "a-b-c"; }
n=0
while read -r line; do n=$((n + 1)); done < /tmp/heredoc
check "while read loop" eq "$n" 2

# Programs see their arguments, environment and exit status.
check "environment to children" eq "$(FOO=bar sh -c 'echo $FOO')" bar
check "exit status of a command" sh -c '! false'
check "command not found is 127" sh -c 'no-such-command 2>/dev/null; [ $? -eq 127 ]'

echo "$passed passed, 0 failed"
