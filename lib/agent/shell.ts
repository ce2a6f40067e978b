import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * The bash init file every session starts with. It prints Baton's markers (see
 * marker-parser.ts), shows a prompt that names the computer (a terminal that attaches sees where
 * it is at once), and turns off what would put noise into the output: no bracketed-paste
 * switches, no history file.
 *
 * Attribution: PS0 (printed after bash read a command line, before running it) reports the
 * newest history entry, base64, with whether history is on and the number the next entry was
 * to get (HISTCMD, saved at the prompt). The agent takes the line only when that entry is the
 * one just read, so a line kept out of history (leading space under a user's
 * HISTCONTROL=ignorespace, `set +o history`, HISTSIZE=0) is reported as missing instead of as
 * the previous command. Only lines bash itself read at its prompt get there: what a program
 * reads from the terminal (a password at `sudo` or `read -s`) never enters bash's history.
 * The `run` wrapper line is kept out of history by HISTIGNORE; the wrapper adds the command.
 */
const RC = String.raw`
__baton_nonce="$BATON_NONCE"
__baton_host="${"$"}{BATON_COMPUTER:-$HOSTNAME}"
unset BATON_NONCE BATON_RC BATON_CGROUPS BATON_ULIMIT_V BATON_COMPUTER
# A real prompt, so a terminal that attaches shows where it is at once. The computer's name is
# expanded as a variable (never evaluated again), whatever it contains.
PS1='\[\e[1;32m\]\u@${"$"}{__baton_host}\[\e[0m\]:\[\e[1;34m\]\w\[\e[0m\]\$ '
PS2='> '
HISTCONTROL=
HISTIGNORE=' __baton_run *'
unset HISTFILE
bind 'set enable-bracketed-paste off' 2>/dev/null
__baton_ps0() {
  local on=0
  [[ -o history ]] && on=1
  builtin printf '\033]777;%s;B;%s;%s;' "$__baton_nonce" "$on" "$__baton_hnext"
  HISTTIMEFORMAT= builtin history 1 | command -p head -c 65536 | command -p base64 -w0
  builtin printf '\007'
}
PS0='$(__baton_ps0)'
__baton_run() {
  local __baton_cmd="$2"
  history -s -- "$__baton_cmd"
  printf '\033]777;%s;S;%s\007' "$__baton_nonce" "$1"
  # The command after the prompt, as if typed: a terminal shows what ran, then its output.
  builtin printf '%s\n' "$__baton_cmd"
  set --
  eval "$__baton_cmd"
}
PROMPT_COMMAND='__baton_rc=$?; __baton_hnext=$HISTCMD; printf "\033]777;%s;E;%s;%s\007" "$__baton_nonce" "$__baton_rc" "$PWD"'
`;

/**
 * The launcher runs in bash (`LAUNCHER_ARGS`) between node-pty's fork and the session's shell.
 * It first closes every descriptor above 2: node-pty 1.1 does not mark PTY masters
 * close-on-exec, so without this each shell would inherit the terminals of every session alive
 * when it started (and anything else the agent holds open without close-on-exec), and could
 * type into them. It refuses to start a shell when it cannot list its descriptors. Then it joins
 * the session's cgroups and sets RLIMIT_AS, so every process of the shell inherits both.
 * Posix mode keeps bash from sourcing $BASH_ENV before the descriptors are closed.
 */
export const LAUNCHER = [
  '[ -d /proc/self/fd ] || { echo "baton: /proc/self/fd is missing; refusing to start a shell that could inherit the agent\'s descriptors" >&2; exit 126; }',
  "for fd in /proc/self/fd/*; do fd=${fd##*/}; if ((fd > 2)); then exec {fd}>&-; fi; done",
  'for d in $BATON_CGROUPS; do echo $$ > "$d/cgroup.procs" 2>/dev/null; done',
  '[ -n "$BATON_ULIMIT_V" ] && ulimit -v "$BATON_ULIMIT_V"',
  'exec /bin/bash --noprofile --rcfile "$BATON_RC" -i',
].join("\n");

export const LAUNCHER_FILE = "/bin/bash";
export const LAUNCHER_ARGS = ["--posix", "--noprofile", "--norc", "-c", LAUNCHER];

export function writeRcFile(): { path: string; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "baton-agent-"));
  const file = path.join(dir, "session.bashrc");
  fs.writeFileSync(file, RC, { mode: 0o644 });
  return { path: file, dir };
}

/** Quotes a command as one bash $'...' word so it fits on one input line, whatever it contains. */
export function ansiCQuote(s: string): string {
  let out = "$'";
  for (const byte of Buffer.from(s, "utf8")) {
    if (byte === 0x27) out += "\\'";
    else if (byte === 0x5c) out += "\\\\";
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += "\\x" + byte.toString(16).padStart(2, "0");
  }
  return out + "'";
}

/** Environment for a session's shell: the agent's, minus anything of Baton's (the token above all). */
export function shellEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith("BATON_") || k.startsWith("npm_") || k === "NODE_OPTIONS") continue;
    env[k] = v;
  }
  env.TERM = "xterm-256color";
  return { ...env, ...extra };
}
