import MLGateWorkspace
import Foundation

/// The POSIX sh script `mlgate hooks install` writes for each hook; `hooks/mlgate-hook.sh` is the
/// reference copy (a test keeps the two identical). All logic lives in the binary: the script only
/// chains the hook it replaced, finds mlgate and passes git's arguments and standard input on.
package enum HookScript {
    /// The first line after the shebang; how mlgate recognises its own hooks.
    static let marker = "# mlgate-hook v1:"

    /// The template, with `@MLGATE_BIN@` where the absolute path of the binary goes.
    static let template = #"""
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

        """#

    /// The script for a binary at `binary`.
    static func text(binary: String) -> String {
        template.replacingOccurrences(of: "@MLGATE_BIN@", with: shellQuoted(binary))
    }

    /// The lines mlgate adds to a hook file another manager owns (husky's `.husky/<hook>`).
    static func managedLines(binary: String, event: String) -> String {
        let stdin = event == "post-rewrite" || event == "pre-push" ? "" : " </dev/null"
        // pre-push may block the push (strict mode); the other hooks never fail git.
        let status = event == "pre-push" ? "" : " || true"
        return """
            mlgate=\(shellQuoted(binary)); [ -x "$mlgate" ] || mlgate=$(command -v mlgate 2>/dev/null) || mlgate=
            if [ -n "$mlgate" ] && [ "${MLGATE_HOOKS:-1}" != 0 ]; then if [ -x "$mlgate-hook" ]; then "$mlgate-hook" \(event) "$@"; else "$mlgate" hook \(event) "$@"; fi\(stdin)\(status); fi
            """
    }

    /// Whether a hook file's text is one of mlgate's scripts.
    static func isOurs(_ text: String) -> Bool {
        text.split(separator: "\n", maxSplits: 2).dropFirst().first.map { $0.hasPrefix(marker) } ?? false
    }

    /// `text` as one word for `/bin/sh`.
    package static func shellQuoted(_ text: String) -> String { ShellWord.quoted(text) }
}

/// A block of lines between begin and end markers that mlgate adds to a file it does not own, and can
/// remove again leaving the file byte for byte as it was.
package struct MarkedBlock {
    let name: String
    let body: String

    private var begin: String { "# >>> \(name) (added by 'mlgate hooks install') >>>" }
    private var end: String { "# <<< \(name) <<<" }

    /// Whether `text` holds this block (in any version).
    func isPresent(in text: String) -> Bool { text.contains(begin) }

    /// `text` with the block appended; a newline is added first when `text` lacks a final one, and the
    /// begin marker says so, so removal can take it away again.
    func appended(to text: String) -> String {
        let needsNewline = !text.isEmpty && !text.hasSuffix("\n")
        return text + (needsNewline ? "\n" : "") + begin + (needsNewline ? " +newline" : "") + "\n" + body + "\n" + end + "\n"
    }

    /// `text` without the block (and without the newline it added), or nil when the block is not there.
    func removed(from text: String) -> String? {
        guard let start = text.range(of: begin), let stop = text.range(of: end + "\n", range: start.upperBound..<text.endIndex)
            ?? text.range(of: end, range: start.upperBound..<text.endIndex)
        else { return nil }
        var lower = start.lowerBound
        let beginLineEnd = text[start.upperBound...].firstIndex(of: "\n") ?? text.endIndex
        if text[start.upperBound..<beginLineEnd].hasPrefix(" +newline"), lower > text.startIndex {
            lower = text.index(before: lower)
        }
        return String(text[..<lower]) + String(text[stop.upperBound...])
    }
}
