#!/bin/sh
# examples/check-modules.sh: checks every example module's behaviour (stdout,
# stderr, exit status, files written) on the examples' sample data and on
# edge cases, without perch.
#
#   sh examples/check-modules.sh native BUILD/examples/native   # plain C builds
#   sh examples/check-modules.sh node [NODE]                    # the .wasm under node's WASI
#   sh examples/check-modules.sh perch BUILD/perch              # the .wasm under perch wasm run
#
# Modules see guest paths (/ro/<name>, /rw/<name>). Under node, run-node.mjs
# preopens them; under perch, `perch wasm run --ro-dir HOST::/ro/<name>`
# mounts them. Natively, the script makes $T/ro/<name> and $T/rw/<name>
# symlinks, rewrites a leading /ro/ or /rw/ in arguments to $T/ro/ or
# $T/rw/, and strips $T from the output, so both modes expect the same text.
# Exit status: 0 when every check passes, 1 otherwise.
set -u
mode=${1:?usage: check-modules.sh native BINDIR | node [NODE] | perch PERCH}
here=$(cd "$(dirname "$0")" && pwd)
case $mode in
native) bindir=${2:?usage: check-modules.sh native BINDIR} ;;
node) node=${2:-node} ;;
perch) perch=${2:?usage: check-modules.sh perch PERCH} ;;
*) echo "check-modules.sh: unknown mode '$mode'" >&2; exit 2 ;;
esac

T=$(mktemp -d "${TMPDIR:-/tmp}/perch-examples.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
mkdir -p "$T/ro" "$T/rw" "$T/cases" "$T/work"
pass=0
fail=0

# want RC STDOUT STDERR: the expectation for the next `run`.
want() {
    want_rc=$1
    want_out=$2
    want_err=$3
}

# run MODULE MOUNTS ARG...: runs examples/MODULE.wasm (or the native build of
# it) with MOUNTS ("ro:HOSTPATH rw:HOSTPATH ...", host paths relative to
# examples/ or absolute) and compares with the last `want`.
run() {
    module=$1
    mounts=$2
    shift 2
    desc="$module $*"
    name=$(basename "$module")
    if [ "$mode" = node ]; then
        set -- "$here/$module.wasm" "$@"
        for m in $mounts; do
            kind=${m%%:*}
            host=${m#*:}
            case $host in /*) ;; *) host=$here/$host ;; esac
            set -- "--$kind" "$host" "$@"
        done
        "$node" --no-warnings "$here/run-node.mjs" "$@" >"$T/out" 2>"$T/err"
        rc=$?
    elif [ "$mode" = perch ]; then
        set -- "$here/$module.wasm" "$@"
        for m in $mounts; do
            kind=${m%%:*}
            host=${m#*:}
            case $host in /*) ;; *) host=$here/$host ;; esac
            if [ "$kind" = ro ]; then
                set -- --ro-dir "$host::/ro/$(basename "$host")" "$@"
            else
                set -- --dir "$host::/rw/$(basename "$host")" "$@"
            fi
        done
        "$perch" wasm run "$@" >"$T/out" 2>"$T/err" </dev/null
        rc=$?
    else
        rm -rf "$T/ro" "$T/rw"
        mkdir -p "$T/ro" "$T/rw"
        for m in $mounts; do
            kind=${m%%:*}
            host=${m#*:}
            case $host in /*) ;; *) host=$here/$host ;; esac
            ln -s "$host" "$T/$kind/$(basename "$host")"
        done
        first=1
        for a in "$@"; do
            if [ $first = 1 ]; then set --; first=0; fi
            case $a in /ro/* | /rw/*) a=$T$a ;; esac
            set -- "$@" "$a"
        done
        "$bindir/$name" "$@" >"$T/out.raw" 2>"$T/err.raw"
        rc=$?
        sed "s#$T##g" "$T/out.raw" >"$T/out"
        sed "s#$T##g" "$T/err.raw" >"$T/err"
    fi
    got_out=$(cat "$T/out")
    got_err=$(cat "$T/err")
    if [ "$rc" = "$want_rc" ] && [ "$got_out" = "$want_out" ] && [ "$got_err" = "$want_err" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $desc"
        echo "  exit:   want $want_rc, got $rc"
        if [ "$got_out" != "$want_out" ]; then
            printf '  stdout: want:\n%s\n  got:\n%s\n' "$want_out" "$got_out"
        fi
        if [ "$got_err" != "$want_err" ]; then
            printf '  stderr: want:\n%s\n  got:\n%s\n' "$want_err" "$got_err"
        fi
    fi
}

# same_file WANT_TEXT PATH: compares a written file with the expected text.
same_file() {
    if [ "$(cat "$2" 2>/dev/null)" = "$1" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        printf 'FAIL: contents of %s\n  want:\n%s\n  got:\n%s\n' "$2" "$1" "$(cat "$2" 2>&1)"
    fi
}

# case_file NAME TEXT: writes $T/cases/NAME (printf escapes in TEXT).
case_file() {
    printf -- "$2" >"$T/cases/$1"
}

nl='
'

# ---- 01-frontmatter -------------------------------------------------------
fm=01-frontmatter/frontmatter
want 0 "/ro/posts/welcome.md: ok" ""
run $fm "ro:01-frontmatter/posts" /ro/posts/welcome.md
want 0 "/ro/posts/launch-2025.md: ok" ""
run $fm "ro:01-frontmatter/posts" /ro/posts/launch-2025.md
want 1 "" "/ro/posts/sketch.md: missing: title, tags"
run $fm "ro:01-frontmatter/posts" /ro/posts/sketch.md
want 2 "" "/ro/posts/nope.md: cannot open: No such file or directory"
run $fm "ro:01-frontmatter/posts" /ro/posts/nope.md
want 2 "" "usage: frontmatter FILE${nl}Checks that a markdown file's YAML frontmatter has title, date and tags.${nl}Exit status: 0 ok, 1 fields missing, 2 parse or usage error."
run $fm ""

case_file flow.md '---\ntitle: a\ndate: 2020-01-01\ntags: [a, "b, c", '"'"'d'"'"']\n---\n'
case_file flow-multiline.md '---\ntitle: a\ndate: 2020-01-01\ntags: [a,\n  b]\n---\n'
case_file quoted-multiline.md '---\ntitle: "abc\n  def"\ndate: 2020-01-01\ntags:\n- a\n---\n'
case_file block-scalar.md '---\ntitle: |\n  line one\n  line two\ndate: 2020\ntags:\n  - a\n---\nbody\n'
case_file nested.md '---\ntitle: x\nauthor:\n  name: Bob\n  links: [a, {k: v}]\ndate: 2020\ntags: [a]\n---\n'
case_file crlf.md '---\r\ntitle: a\r\ndate: b\r\ntags: [c]\r\n---\r\n'
case_file comments.md '---\n# leading comment\ntitle: a long\n  title here # trailing\ndate: 2020 # when\ntags: [a] # list\n---\n'
case_file url-and-apostrophe.md "---\ntitle: don't see http://x.com/a#b\ndate: b\ntags: [it's, x]\n---\n"
case_file dots-end.md '---\ntitle: a\ndate: b\ntags: [c]\n...\nbody\n'
for f in flow.md flow-multiline.md quoted-multiline.md block-scalar.md nested.md crlf.md \
    comments.md url-and-apostrophe.md dots-end.md; do
    want 0 "/ro/cases/$f: ok" ""
    run $fm "ro:$T/cases" "/ro/cases/$f"
done

case_file empty-tags.md '---\ntitle: a\ndate: 2020\ntags: []\n---\n'
case_file empty-items.md '---\ntitle: a\ndate: 2020\ntags:\n  -\n  - ""\n---\n'
case_file blank-title.md '---\ntitle: "  "\ndate: b\ntags: [x]\n---\n'
case_file null-date.md '---\ntitle: a\ndate: ~\ntags: [x]\n---\n'
case_file no-frontmatter.md '# Just a heading\n\n---\ntitle: not frontmatter\n---\n'
case_file empty.md ''
case_file empty-block.md '---\n---\n'
want 1 "" "/ro/cases/empty-tags.md: missing: tags"
run $fm "ro:$T/cases" /ro/cases/empty-tags.md
want 1 "" "/ro/cases/empty-items.md: missing: tags"
run $fm "ro:$T/cases" /ro/cases/empty-items.md
want 1 "" "/ro/cases/blank-title.md: missing: title"
run $fm "ro:$T/cases" /ro/cases/blank-title.md
want 1 "" "/ro/cases/null-date.md: missing: date"
run $fm "ro:$T/cases" /ro/cases/null-date.md
for f in no-frontmatter.md empty.md empty-block.md; do
    want 1 "" "/ro/cases/$f: missing: title, date, tags"
    run $fm "ro:$T/cases" "/ro/cases/$f"
done

case_file scalar-tags.md '---\ntitle: a\ndate: 2020\ntags: go\n---\n'
case_file list-title.md '---\ntitle: [a]\ndate: 2020\ntags: [x]\n---\n'
case_file unclosed.md '---\ntitle: a\n'
case_file unclosed-quote.md '---\ntitle: "abc\ndate: 2020\n---\n'
case_file colon.md '---\ntitle: Perch: a runtime\ndate: 2020\ntags: [a]\n---\n'
case_file tab.md '---\ntitle: a\n\tdate: 2020\n---\n'
case_file duplicate.md '---\ntitle: a\ntitle: b\n---\n'
case_file bad-escape.md '---\ntitle: "a\\q"\n---\n'
case_file anchor.md '---\ntitle: &a x\n---\n'
case_file unterminated-flow.md '---\ntitle: a\ndate: b\ntags: [x, y\nfoo: 1\n---\n'
case_file junk-after-flow.md '---\ntitle: a\ndate: b\ntags: [x] y\n---\n'
case_file sequence-top.md '---\n- a\n---\n'
case_file map-in-tags.md '---\ntitle: a\ndate: b\ntags:\n- name: x\n---\n'
case_file nul.md '---\ntitle: a\0\n---\n'
deep=$(printf '%0100d' 0 | tr 0 '[')
case_file deep.md "---\ntitle: $deep\n---\n"
want 2 "" "/ro/cases/scalar-tags.md:4: tags: expected a list like [a, b], got a string"
run $fm "ro:$T/cases" /ro/cases/scalar-tags.md
want 2 "" "/ro/cases/list-title.md:2: title: expected a string, got a list"
run $fm "ro:$T/cases" /ro/cases/list-title.md
want 2 "" "/ro/cases/unclosed.md:1: yaml: frontmatter is never closed (no '---' line after line 1)"
run $fm "ro:$T/cases" /ro/cases/unclosed.md
want 2 "" "/ro/cases/unclosed-quote.md:2: yaml: unterminated double-quoted string"
run $fm "ro:$T/cases" /ro/cases/unclosed-quote.md
want 2 "" "/ro/cases/colon.md:2: yaml: mapping values are not allowed here (put the value in quotes)"
run $fm "ro:$T/cases" /ro/cases/colon.md
want 2 "" "/ro/cases/tab.md:3: yaml: tab character in indentation (YAML indents with spaces)"
run $fm "ro:$T/cases" /ro/cases/tab.md
want 2 "" "/ro/cases/duplicate.md:3: yaml: duplicate key 'title'"
run $fm "ro:$T/cases" /ro/cases/duplicate.md
want 2 "" "/ro/cases/bad-escape.md:2: yaml: unknown escape '\\q' in double-quoted string"
run $fm "ro:$T/cases" /ro/cases/bad-escape.md
want 2 "" "/ro/cases/anchor.md:2: yaml: anchors, aliases and tags ('&') are not supported"
run $fm "ro:$T/cases" /ro/cases/anchor.md
want 2 "" "/ro/cases/unterminated-flow.md:4: yaml: unterminated flow sequence (missing ']')"
run $fm "ro:$T/cases" /ro/cases/unterminated-flow.md
want 2 "" "/ro/cases/junk-after-flow.md:4: yaml: unexpected text after flow collection"
run $fm "ro:$T/cases" /ro/cases/junk-after-flow.md
want 2 "" "/ro/cases/sequence-top.md:2: yaml: frontmatter must be a mapping of 'key: value' lines"
run $fm "ro:$T/cases" /ro/cases/sequence-top.md
want 2 "" "/ro/cases/map-in-tags.md:5: tags: expected a list of strings, item 1 is a mapping"
run $fm "ro:$T/cases" /ro/cases/map-in-tags.md
want 2 "" "/ro/cases/nul.md: not a text file (contains a NUL byte)"
run $fm "ro:$T/cases" /ro/cases/nul.md
want 2 "" "/ro/cases/deep.md:2: yaml: nesting deeper than 64 levels"
run $fm "ro:$T/cases" /ro/cases/deep.md

# ---- 02-jsonschema --------------------------------------------------------
js=02-jsonschema/jsonschema
S="ro:02-jsonschema/schemas"
for f in ada alan grace; do
    want 0 "/ro/users/$f.json: valid" ""
    run $js "$S/user.json ro:02-jsonschema/fixtures/users" /ro/user.json "/ro/users/$f.json"
done
want 1 "" "/ro/users/invalid-age.json: at '/age': expected integer, got number 9.5
/ro/users/invalid-age.json: at '/age': 9.5 is less than the minimum 13"
run $js "$S/user.json ro:02-jsonschema/fixtures/users" /ro/user.json /ro/users/invalid-age.json
for f in A-100200 A-100201; do
    want 0 "/ro/orders/$f.json: valid" ""
    run $js "$S/order.json ro:02-jsonschema/fixtures/orders" /ro/order.json "/ro/orders/$f.json"
done
want 1 "" "/ro/orders/invalid-lines.json: at '/status': \"shipped-ish\" is not one of \"pending\", \"paid\", \"shipped\", \"cancelled\"
/ro/orders/invalid-lines.json: at '/lines/1/sku': \"mug2\" does not match the pattern \"^[A-Z]+-\\\\d+\$\"
/ro/orders/invalid-lines.json: at '/lines/1/qty': expected integer, got number 1.5
/ro/orders/invalid-lines.json: at '/lines/1/colour': property 'colour' is not allowed (additionalProperties is false)"
run $js "$S/order.json ro:02-jsonschema/fixtures/orders" /ro/order.json /ro/orders/invalid-lines.json
for f in P-1 P-2; do
    want 0 "/ro/payments/$f.json: valid" ""
    run $js "$S/payment.json ro:02-jsonschema/fixtures/payments" /ro/payment.json "/ro/payments/$f.json"
done
want 1 "" "/ro/payments/invalid-method.json: at '/amount': -1 must be greater than 0
/ro/payments/invalid-method.json: at '/currency': \"JPY\" is not one of \"EUR\", \"GBP\", \"USD\"
/ro/payments/invalid-method.json: at '/method': {\"kind\":\"cash\"} matches 0 of the schemas in oneOf (exactly one expected)"
run $js "$S/payment.json ro:02-jsonschema/fixtures/payments" /ro/payment.json /ro/payments/invalid-method.json

# Edge cases: schema keywords, parse errors, load errors.
C="ro:$T/cases"
jcase() { printf '%s' "$2" >"$T/cases/$1"; }
jcase true.json 'true'
jcase trailing-comma.json '{"a": 1,}'
jcase bad-type.json '{"type": "strin"}'
jcase ref-cycle.json '{"$ref": "#"}'
jcase ref-missing.json '{"$ref": "#/$defs/x"}'
jcase ref-remote.json '{"$ref": "https://example.com/s.json"}'
jcase pattern.json '{"properties": {"a": {"pattern": "(a)\\1"}}}'
jcase one.json '1'
jcase two-and-half.json '2.5'
jcase three.json '3'
jcase deep.json "$(printf '%0300d' 0 | tr 0 '[')$(printf '%0300d' 0 | tr 0 ']')"
jcase bad-utf8.json "$(printf '"\377"')"
jcase big.json '1e999'
jcase empty.json ''
jcase len.json '{"type":"string","minLength":2,"maxLength":3}'
jcase ee.json '"éé"'
jcase emoji.json '"\ud83d\ude00"'
jcase any-not.json '{"anyOf":[{"type":"string"},{"type":"integer"}],"not":{"const":3}}'
jcase if.json '{"if":{"properties":{"k":{"const":"a"}}},"then":{"required":["x"]},"else":{"required":["y"]}}'
jcase k-a.json '{"k":"a","y":1}'
jcase tuple.json '{"items":[{"type":"string"}],"additionalItems":false}'
jcase arr.json '["a",1]'
jcase types.json '{"type":["string","null","integer"]}'
jcase escaped-key.json '{"properties":{"a/b~c":{"type":"string"}}}'
jcase o-escaped.json '{"a/b~c": 1}'
jcase unique.json '{"uniqueItems":true}'
jcase dup-items.json '[1, {"a":1,"b":2}, 1.0]'
jcase number-eq.json '{"enum":[1, {"a":[1,2]}]}'
jcase obj-reordered.json '{"a":[1.0,2]}'
jcase draft4.json '{"minimum":5,"exclusiveMinimum":true}'
jcase five.json '5'
jcase false-schema.json 'false'
jcase not-schema.json '[1]'

want 2 "" "/ro/cases/trailing-comma.json:1:9: invalid JSON schema: expected a string key"
run $js "$C" /ro/cases/trailing-comma.json /ro/cases/one.json
want 2 "" "/ro/cases/trailing-comma.json:1:9: invalid JSON document: expected a string key"
run $js "$C" /ro/cases/true.json /ro/cases/trailing-comma.json
want 2 "" "/ro/cases/bad-type.json: invalid schema at '/type': unknown type \"strin\" (expected null, boolean, object, array, number, string or integer)"
run $js "$C" /ro/cases/bad-type.json /ro/cases/one.json
want 2 "" "/ro/cases/one.json: schema recursion deeper than 512 levels (a \$ref cycle?)"
run $js "$C" /ro/cases/ref-cycle.json /ro/cases/one.json
want 2 "" "/ro/cases/ref-missing.json: invalid schema at '/\$ref': '#/\$defs/x' does not resolve"
run $js "$C" /ro/cases/ref-missing.json /ro/cases/one.json
want 2 "" "/ro/cases/ref-remote.json: invalid schema at '/\$ref': only references inside the schema ('#/...') are supported, not 'https://example.com/s.json'"
run $js "$C" /ro/cases/ref-remote.json /ro/cases/one.json
want 2 "" "/ro/cases/pattern.json: invalid schema at '/properties/a/pattern': invalid or unsupported regular expression: at offset 3: backreferences are not supported"
run $js "$C" /ro/cases/pattern.json /ro/cases/one.json
want 2 "" "/ro/cases/not-schema.json: invalid schema at '': a schema must be an object or a boolean, not array"
run $js "$C" /ro/cases/not-schema.json /ro/cases/one.json
want 2 "" "/ro/cases/deep.json:1:257: invalid JSON document: nesting deeper than 256 levels"
run $js "$C" /ro/cases/true.json /ro/cases/deep.json
want 2 "" "/ro/cases/bad-utf8.json:1:2: invalid JSON document: invalid UTF-8 in string"
run $js "$C" /ro/cases/true.json /ro/cases/bad-utf8.json
want 2 "" "/ro/cases/big.json:1:1: invalid JSON document: number out of range"
run $js "$C" /ro/cases/true.json /ro/cases/big.json
want 2 "" "/ro/cases/empty.json:1:1: invalid JSON document: unexpected end of input"
run $js "$C" /ro/cases/true.json /ro/cases/empty.json
want 2 "" "/ro/cases/nope.json: cannot open: No such file or directory"
run $js "$C" /ro/cases/true.json /ro/cases/nope.json
want 2 "" "usage: jsonschema SCHEMA.json DOCUMENT.json${nl}Validates DOCUMENT against the JSON Schema in SCHEMA.${nl}Exit status: 0 valid, 1 invalid, 2 usage, load or schema error."
run $js "" /ro/cases/true.json
want 0 "/ro/cases/ee.json: valid" ""
run $js "$C" /ro/cases/len.json /ro/cases/ee.json
want 1 "" "/ro/cases/emoji.json: at '': \"😀\" is shorter than 2 characters"
run $js "$C" /ro/cases/len.json /ro/cases/emoji.json
want 1 "" "/ro/cases/three.json: at '': 3 must not match the schema in 'not'"
run $js "$C" /ro/cases/any-not.json /ro/cases/three.json
want 1 "" "/ro/cases/two-and-half.json: at '': 2.5 matches none of the 2 schemas in anyOf"
run $js "$C" /ro/cases/any-not.json /ro/cases/two-and-half.json
want 1 "" "/ro/cases/k-a.json: at '': missing required property 'x'"
run $js "$C" /ro/cases/if.json /ro/cases/k-a.json
want 1 "" "/ro/cases/arr.json: at '/1': no item allowed here (the array has at most 1 items)"
run $js "$C" /ro/cases/tuple.json /ro/cases/arr.json
want 1 "" "/ro/cases/two-and-half.json: at '': expected string, null or integer, got number 2.5"
run $js "$C" /ro/cases/types.json /ro/cases/two-and-half.json
want 1 "" "/ro/cases/o-escaped.json: at '/a~1b~0c': expected string, got number 1"
run $js "$C" /ro/cases/escaped-key.json /ro/cases/o-escaped.json
want 1 "" "/ro/cases/dup-items.json: at '': items 0 and 2 are equal (uniqueItems)"
run $js "$C" /ro/cases/unique.json /ro/cases/dup-items.json
want 0 "/ro/cases/obj-reordered.json: valid" ""
jcase number-eq.json '{"enum":[1, {"a":[1,2]}]}'
run $js "$C" /ro/cases/number-eq.json /ro/cases/obj-reordered.json
want 1 "" "/ro/cases/five.json: at '': 5 is not greater than the minimum 5"
run $js "$C" /ro/cases/draft4.json /ro/cases/five.json
want 1 "" "/ro/cases/one.json: at '': no value is allowed here (the schema is false)"
run $js "$C" /ro/cases/false-schema.json /ro/cases/one.json

# pattern: the regex.h subset, searched (not anchored), on code points.
pcase() { # pcase PATTERN-JSON DOC-JSON RC
    printf '{"pattern": %s}' "$1" >"$T/cases/p.json"
    printf '%s' "$2" >"$T/cases/d.json"
    case $3 in
    0) want 0 "/ro/cases/d.json: valid" "" ;;
    1) want 1 "" "/ro/cases/d.json: at '': $2 does not match the pattern $1" ;;
    esac
    run $js "$C" /ro/cases/p.json /ro/cases/d.json
}
pcase '"^[a-z]+$"' '"abc"' 0
pcase '"b"' '"abc"' 0
pcase '"^\\d{3}-\\d{4}$"' '"555-1234"' 0
pcase '"^(foo|bar)baz$"' '"barbaz"' 0
pcase '"^a*?b"' '"aaab"' 0
pcase '"^(?!admin)\\w+$"' '"root"' 0
pcase '"\\bcat\\b"' '"a cat!"' 0
pcase '"^.{2}$"' '"éé"' 0
pcase '"^[é-ë]$"' '"ê"' 0
pcase '"^x{2,3}$"' '"xxx"' 0
pcase '"^a{,2}$"' '"a{,2}"' 0
pcase '"^[\\W\\d]+$"' '"1!2"' 0
pcase '"^(a|ab)(c|bcd)(d*)$"' '"abcd"' 0
pcase '"^(a?){5}a{5}$"' '"aaaaa"' 0
pcase '"^[a-]+$"' '"a-a"' 0
pcase '""' '"anything"' 0
pcase '"^[a-z]+$"' '"abC"' 1
pcase '"^(foo|bar)baz$"' '"bazbaz"' 1
pcase '"^(?!admin)\\w+$"' '"administrator"' 1
pcase '"\\bcat\\b"' '"concat"' 1
pcase '"^x{2,3}$"' '"xxxx"' 1
pcase '"^\\d+$"' '""' 1
printf '{"pattern": "^a+$"}' >"$T/cases/p.json"
printf '"%s"' "$(printf '%05000d' 0 | tr 0 a)" >"$T/cases/d.json"
want 0 "/ro/cases/d.json: valid" ""
run $js "$C" /ro/cases/p.json /ro/cases/d.json
# A repeated group recurses once per character: about 1500 characters fit
# the depth limit (and the engine's call stack); more is "too costly".
printf '{"pattern": "^(a|b)*$"}' >"$T/cases/p.json"
printf '"%s"' "$(printf '%0740d' 0 | sed 's/0/ab/g')" >"$T/cases/d.json"
want 0 "/ro/cases/d.json: valid" ""
run $js "$C" /ro/cases/p.json /ro/cases/d.json
printf '"%s"' "$(printf '%01400d' 0 | sed 's/0/ab/g')" >"$T/cases/d.json"
want 2 "" "/ro/cases/d.json: at '': pattern \"^(a|b)*\$\" is too costly to match (too much backtracking or too long a string)"
run $js "$C" /ro/cases/p.json /ro/cases/d.json
printf '{"pattern": "(a*)*b"}' >"$T/cases/p.json"
printf '"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac"' >"$T/cases/d.json"
want 2 "" "/ro/cases/d.json: at '': pattern \"(a*)*b\" is too costly to match (too much backtracking or too long a string)"
run $js "$C" /ro/cases/p.json /ro/cases/d.json
badpattern() { # badpattern PATTERN-JSON MESSAGE
    printf '{"pattern": %s}' "$1" >"$T/cases/p.json"
    want 2 "" "/ro/cases/p.json: invalid schema at '/pattern': invalid or unsupported regular expression: $2"
    run $js "$C" /ro/cases/p.json /ro/cases/one.json
}
badpattern '"(a"' "at offset 2: missing ')'"
badpattern '"a)"' "at offset 1: unmatched ')'"
badpattern '"*a"' "at offset 1: nothing to repeat"
badpattern '"a**"' "at offset 2: nothing to repeat"
badpattern '"(?<=a)b"' "at offset 0: lookbehind is not supported"
badpattern '"(?P<x>a)"' "at offset 0: unknown group syntax '(?P'"
badpattern '"[z-a]"' "at offset 4: range out of order in character class"
badpattern '"[abc"' "at offset 4: unterminated character class"
badpattern '"x{2,1}"' "at offset 6: numbers out of order in {n,m}"
badpattern '"\\p{L}"' "at offset 0: Unicode property escapes (\\p{...}) are not supported"
badpattern '"\\q"' "at offset 0: unknown escape '\\q'"
jcase pp.json '{"patternProperties":{"^x-":{"type":"string"}},"additionalProperties":false}'
jcase pp-doc.json '{"x-a":"s","x-b":1,"y":2}'
want 1 "" "/ro/cases/pp-doc.json: at '/x-b': expected string, got number 1
/ro/cases/pp-doc.json: at '/y': property 'y' is not allowed (additionalProperties is false)"
run $js "$C" /ro/cases/pp.json /ro/cases/pp-doc.json

# ---- 03-agent-ops ---------------------------------------------------------
ee=03-agent-ops/wasm/extract-emails
want 0 "Ada.Lovelace@example.com
grace.hopper+meetup@navy.example.org
alan@bletchley.example.co.uk
k.johnson@nasa.example.gov
kj_1918@mail.example.net
events@example.com" ""
run $ee "ro:03-agent-ops/uploads" /ro/uploads/signup-form.txt
printf 'x@y a@b.c .@x.io a..b@x.io -@x.io q@x-.io p@-x.io m@x.i9 o@x.io@y.io ok@x.io, OK@X.IO last@end.dev.' >"$T/cases/emails.txt"
want 0 "-@x.io
ok@x.io
last@end.dev" ""
run $ee "ro:$T/cases" /ro/cases/emails.txt
: >"$T/cases/none.txt"
want 0 "" ""
run $ee "ro:$T/cases" /ro/cases/none.txt
want 2 "" "/ro/uploads/nope.txt: cannot open: No such file or directory"
run $ee "ro:03-agent-ops/uploads" /ro/uploads/nope.txt
want 2 "" "usage: extract-emails FILE${nl}Prints each email address found in FILE once, in order."
run $ee ""

na=03-agent-ops/wasm/normalize-address
naddr() { want 0 "$2" ""; run $na "" "$1"; }
naddr "123 Main St, NYC" "123 Main Street, New York, NY"
naddr "  123   main st.,   nyc " "123 Main Street, New York, NY"
naddr "456 N. Elm ave apt 5b, springfield, illinois 62701" "456 North Elm Avenue Apt 5B, Springfield, IL 62701"
naddr "1 st marks pl, new york, ny, 10003" "1 Saint Marks Place, New York, NY 10003"
naddr "PO Box 12, Austin, tx 78701, usa" "PO Box 12, Austin, TX 78701, USA"
naddr "350 5TH AVE STE 3400, NEW YORK CITY, NY 10118" "350 5th Avenue Suite 3400, New York, NY 10118"
naddr "1600 pennsylvania ave nw, washington dc 20500" "1600 Pennsylvania Avenue Northwest, Washington, DC 20500"
naddr "500 w madison st ste 1000, chicago, il 60661-4544" "500 West Madison Street Suite 1000, Chicago, IL 60661-4544"
naddr "9 o'brien ct #4, boston, massachusetts" "9 O'Brien Court #4, Boston, MA"
want 0 "123 Main Street, New York, NY" ""
run $na "" 123 main st, nyc
want 2 "" "usage: normalize-address ADDRESS...
Prints a US-style postal address in a normal form, e.g.
  normalize-address \"123 main st., nyc\"  ->  123 Main Street, New York, NY"
run $na "" " , "

ci=03-agent-ops/wasm/classify-intent
M="ro:03-agent-ops/models"
if [ "$mode" = native ]; then CLASSIFY_MODEL=$T/ro/models/intents.txt; export CLASSIFY_MODEL; fi
cintent() { want 0 "$2" ""; run $ci "$M" "$1"; }
cintent "cancel my subscription" cancel_subscription
cintent "I want my money back, I was charged twice" request_refund
cintent "forgot my password and I'm locked out" reset_password
cintent "the app crashes, it's not working" report_bug
cintent "How much is the enterprise plan?" sales_inquiry
cintent "Please update my card before the next invoice" update_billing
cintent "hello there" unknown
want 0 "cancel_subscription" ""
run $ci "$M" cancel my subscription
unset CLASSIFY_MODEL
if [ "$mode" != native ]; then
    want 2 "" "classify-intent: cannot open model /ro/models/intents.txt: No such file or directory (mount the models directory: wasm_mount_read \"\${script_dir}/models\")"
    mkdir -p "$T/empty/models"
    run $ci "ro:$T/empty/models" "cancel"
    printf 'cancel_subscription 3 cancel\nbroken line\n' >"$T/cases/intents.txt"
    want 2 "" "/ro/models/intents.txt:2: expected 'LABEL WEIGHT PHRASE...' with WEIGHT 1..1000"
    mkdir -p "$T/models" && cp "$T/cases/intents.txt" "$T/models/"
    run $ci "ro:$T/models" "cancel"
fi

# ---- 04-pipeline ----------------------------------------------------------
W="ro:$T/work rw:$T/work"
for stem in eu-signups us-signups legacy-export; do
    rm -f "$T/work"/*
    cp "$here/04-pipeline/batch/$stem.xml" "$T/work/input.xml"
    n=$(grep -c '<record[ >/]' "$T/work/input.xml")
    want 0 "extract: $n records -> /rw/work/records.jsonl" ""
    run 04-pipeline/wasm/extract "$W" /ro/work/input.xml /rw/work/records.jsonl
    want 0 "transform: $n records -> /rw/work/enriched.jsonl" ""
    run 04-pipeline/wasm/transform "$W" /ro/work/records.jsonl /rw/work/enriched.jsonl
    classes=$(sed 's/.*"class":"\([a-z]*\)".*/\1/' "$here/04-pipeline/expected/$stem.jsonl")
    c() { printf '%s\n' "$classes" | grep -c "^$1\$"; }
    want 0 "classify: $n records (enterprise $(c enterprise), business $(c business), consumer $(c consumer), invalid $(c invalid)) -> /rw/work/output.jsonl" ""
    run 04-pipeline/wasm/classify "$W" /ro/work/enriched.jsonl /rw/work/output.jsonl
    same_file "$(cat "$here/04-pipeline/expected/$stem.jsonl")" "$T/work/output.jsonl"
done

xcase() {
    rm -f "$T/work"/*
    printf -- "$1" >"$T/work/input.xml"
    want 2 "" "$2"
    run 04-pipeline/wasm/extract "$W" /ro/work/input.xml /rw/work/records.jsonl
}
xcase '<r><record><name>x</nam></record></r>' "/ro/work/input.xml:1: expected </name> (opened on line 1), found </nam>"
xcase '<r>\n<record>\n<name>x &nbsp; y</name></record></r>' "/ro/work/input.xml:3: unknown entity (only &lt; &gt; &amp; &quot; &apos; and &#N; are defined)"
xcase '<r>\n<record>\n' "/ro/work/input.xml:3: <record> (line 2) is never closed"
xcase '' "/ro/work/input.xml:1: no root element"
xcase '<a/><b/>' "/ro/work/input.xml:1: a second root element"
xcase '<!DOCTYPE r [<!ENTITY x "y">]><r/>' "/ro/work/input.xml:1: DOCTYPE internal subsets are not supported"
xcase '<r><record id="1" id="2"/></r>' "/ro/work/input.xml:1: duplicate attribute 'id'"
xcase '<r><!-- never closed </r>' "/ro/work/input.xml:1: unterminated comment"
xcase '<r><record id=1/></r>' "/ro/work/input.xml:1: attribute 'id': value must be quoted"
xcase '<r>&#0;</r>' "/ro/work/input.xml:1: bad character reference"
rm -f "$T/work"/*
printf '<r><record a="1 &amp; 2"><x k="v">t</x><x>u</x><y><z>deep</z></y></record></r>' >"$T/work/input.xml"
want 0 "extract: 1 record -> /rw/work/records.jsonl" ""
run 04-pipeline/wasm/extract "$W" /ro/work/input.xml /rw/work/records.jsonl
same_file '{"a":"1 & 2","x.k":"v","x":["t","u"],"y.z":"deep"}' "$T/work/records.jsonl"
printf '{"id":"1"}\nnot json\n' >"$T/work/records.jsonl"
want 2 "" "/ro/work/records.jsonl:2: invalid JSON: unexpected character 'n'"
run 04-pipeline/wasm/transform "$W" /ro/work/records.jsonl /rw/work/enriched.jsonl
printf '[1]\n' >"$T/work/enriched.jsonl"
want 2 "" "/ro/work/enriched.jsonl:1: expected a JSON object"
run 04-pipeline/wasm/classify "$W" /ro/work/enriched.jsonl /rw/work/output.jsonl
want 2 "" "usage: extract INPUT.xml OUTPUT.jsonl${nl}Writes one JSON object per <record> element of INPUT to OUTPUT."
run 04-pipeline/wasm/extract "" /ro/work/input.xml

# ---- 05-lint --------------------------------------------------------------
gl=05-lint/wasm/golint
L="ro:05-lint/src"
for f in main.go internal/store/store.go internal/store/report.go; do
    want 0 "" ""
    run $gl "$L" "/ro/src/$f"
done
want 1 "/ro/src/internal/store/cache.go:4: TODO without an owner (write TODO(name): ...)
/ro/src/internal/store/cache.go:6: trailing whitespace
/ro/src/internal/store/cache.go:9: FIXME without an owner (write FIXME(name): ...)" ""
run $gl "$L" /ro/src/internal/store/cache.go
want 1 "/ro/src/cmd/tool/flags.go:7: indented with spaces (gofmt indents with tabs)
/ro/src/cmd/tool/flags.go:8: line is 121 characters long (max 100)
/ro/src/cmd/tool/flags.go:12: space before tab in indentation
/ro/src/cmd/tool/flags.go:13: missing newline at end of file" ""
run $gl "$L" /ro/src/cmd/tool/flags.go
printf 'package x\r\n\n/*\n   TODO fix\n  indented comment text is fine\n*/\nvar s = `a\n  b  \n`  \n// XXX(bo): fine\n// FIXME: no owner\n' >"$T/cases/misc.go"
want 1 "/ro/cases/misc.go:1: line ends with CRLF
/ro/cases/misc.go:4: TODO without an owner (write TODO(name): ...)
/ro/cases/misc.go:9: trailing whitespace
/ro/cases/misc.go:11: FIXME without an owner (write FIXME(name): ...)" ""
run $gl "ro:$T/cases" /ro/cases/misc.go
long=$(printf '%0100d' 0 | tr 0 'é')
printf 'package x\n// %s\n' "$long" >"$T/cases/long.go"
want 1 "/ro/cases/long.go:2: line is 103 characters long (max 100)" ""
run $gl "ro:$T/cases" /ro/cases/long.go
: >"$T/cases/empty.go"
want 0 "" ""
run $gl "ro:$T/cases" /ro/cases/empty.go
want 2 "" "/ro/cases/nope.go: cannot open: No such file or directory"
run $gl "ro:$T/cases" /ro/cases/nope.go
want 2 "" "usage: golint FILE...${nl}Reports style problems in Go source files as FILE:LINE: message.${nl}Exit status: 0 clean, 1 findings, 2 usage or I/O error."
run $gl ""


echo "check-modules ($mode): $pass passed, $fail failed"
[ "$fail" = 0 ]
