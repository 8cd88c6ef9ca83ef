# bash completion for ostwin and ostwin-view (docs/install.md). Installed as
# PREFIX/share/bash-completion/completions/ostwin and .../ostwin-view; needs the
# bash-completion package (_init_completion, _filedir).
# The subcommands and options are read from the program's own --help each time, so the
# completion cannot drift from the command line. Not read from --help: the built-in cost
# profile names (`--costs`), and which files a positional takes (scenarios: *.yaml,
# traces: *.jsonl). `ostwin new` completes the kinds `ostwin new --list` prints.

# The option names of `PROGRAM [SUB] --help`, with the type of those that take a value
# ("--trace TEXT"): one line per name, NAME [TYPE]; "-o,--output TEXT" gives "-o TEXT"
# and "--output TEXT".
_ostwin_help_options() {  # _ostwin_help_options PROGRAM [SUB]
    "$@" --help 2>/dev/null | awk '
        /^  -/ {
            type = ($2 ~ /^(TEXT|UINT|INT|FLOAT|NUMBER|BOOLEAN)([=:].*)?$/) ? $2 : ""
            n = split($1, names, ",")
            for (i = 1; i <= n; i++) print names[i], type
        }'
}

# Completes the word after an option that takes a value, or a positional argument.
_ostwin_value() {  # _ostwin_value OPTION POSITIONAL_KIND
    case $1 in
        --costs) COMPREPLY=($(compgen -W "default zero" -- "$cur")); _filedir 'y?(a)ml' ;;
        --trace-dir|--dir|-o|--output) _filedir ;;
        --trace|--state-out|--layout-out) _filedir ;;
        --screenshot) _filedir png ;;
        --format) COMPREPLY=($(compgen -W "perfetto" -- "$cur")) ;;
        "") case $2 in
                trace) _filedir jsonl ;;
                template) COMPREPLY=($(compgen -W "$("$program" new --list 2>/dev/null | awk '{print $1}')" -- "$cur")) ;;
                *) _filedir 'y?(a)ml' ;;
            esac ;;
        *) ;;  # a number, a time or a name: nothing to offer
    esac
}

_ostwin_complete() {  # _ostwin_complete PROGRAM SUBCOMMAND-OR-EMPTY FIRST-ARG-INDEX POSITIONAL_KIND
    local program=$1 sub=$2 kind=$4 opts takes_value=() names=() name type
    while read -r name type; do
        names+=("$name")
        [ -n "$type" ] && takes_value+=("$name")
    done < <(_ostwin_help_options "$program" ${sub:+"$sub"})
    if [[ $prev == -* ]]; then
        local o
        for o in "${takes_value[@]}"; do
            [[ $prev == "$o" ]] && { _ostwin_value "$prev" "$kind"; return; }
        done
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "${names[*]}" -- "$cur"))
        return
    fi
    _ostwin_value "" "$kind"
}

_ostwin() {
    local cur prev words cword
    _init_completion || return
    # The subcommand: the first word that is no option.
    local i sub=""
    for ((i = 1; i < cword; i++)); do
        [[ ${words[i]} != -* ]] && { sub=${words[i]}; break; }
    done
    if [ -z "$sub" ]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "--help --version" -- "$cur"))
        else
            local subs
            subs=$("${words[0]}" --help 2>/dev/null | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^[^ ]/ { on = 0 }')
            COMPREPLY=($(compgen -W "$subs" -- "$cur"))
        fi
        return
    fi
    local kind=scenario
    [ "$sub" = export ] && kind=trace
    [ "$sub" = new ] && kind=template
    _ostwin_complete "${words[0]}" "$sub" "$i" "$kind"
}

_ostwin_view() {
    local cur prev words cword
    _init_completion || return
    _ostwin_complete "${words[0]}" "" 1 trace
}

complete -F _ostwin ostwin
complete -F _ostwin_view ostwin-view
