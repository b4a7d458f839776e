#!/bin/sh
# mlgate-hook v1: written by 'mlgate hooks install'; 'mlgate hooks uninstall' restores what was here.
# Runs the hook it replaced first (kept beside it as <hook>.mlgate-prev) with the same arguments and
# standard input, keeping its exit status, then mlgate (its fast mlgate-hook companion when installed).
# MLGATE_HOOKS=0 skips mlgate for one command.
hook=${0##*/}
hook=${hook%.legacy}
prev="$0.mlgate-prev"
status=0
input=
if [ "$hook" = post-rewrite ] || [ "$hook" = pre-push ]; then
    input=$(mktemp "${TMPDIR:-/tmp}/mlgate-hook.XXXXXX") && cat >"$input" || input=
fi
if [ -x "$prev" ]; then
    if [ -n "$input" ]; then "$prev" "$@" <"$input"; else "$prev" "$@"; fi
    status=$?
fi
if [ "${MLGATE_HOOKS:-1}" != 0 ]; then
    mlgate=@MLGATE_BIN@
    [ -x "$mlgate" ] || mlgate=$(command -v mlgate 2>/dev/null) || mlgate=
    if [ -n "$mlgate" ]; then
        if [ -x "$mlgate-hook" ]; then "$mlgate-hook" "$hook" "$@"; else "$mlgate" hook "$hook" "$@"; fi <"${input:-/dev/null}"
        [ $? -ne 1 ] || status=1
    else
        echo "mlgate: mlgate is not installed where this hook expects it, nor on PATH; $hook not recorded (run 'mlgate hooks install' again)." >&2
    fi
fi
[ -z "$input" ] || rm -f "$input"
exit $status
