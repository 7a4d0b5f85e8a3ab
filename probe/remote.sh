# plwiz remote connectivity check. It runs on a host inside the consumer
# VPC (through SSM Run Command) and prints one line per check:
#   PLWIZ|v1|<step>|<target>|<ok|fail|skip|info>|<milliseconds>|<detail>
# using only what Amazon Linux and Ubuntu have: getent or dig or nslookup,
# bash's /dev/tcp or nc, openssl s_client, curl, timeout. It changes
# nothing on the host and leaves no file behind.

emit() { # step target result ms detail
	local d=${5//|//}
	d=$(printf '%s' "$d" | tr -d '\000-\037\177' | cut -c1-400)
	printf 'PLWIZ|v1|%s|%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" "$d"
}
now_ms() { date +%s%3N; }
have() { command -v "$1" >/dev/null 2>&1; }

WORK=$(mktemp -d 2>/dev/null || echo /tmp/plwiz-check.$$)
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT
CAOPT=()
CURLCA=()
if [ -n "$CA_PEM" ]; then
	printf '%s\n' "$CA_PEM" >"$WORK/ca.pem"
	CAOPT=(-CAfile "$WORK/ca.pem")
	CURLCA=(--cacert "$WORK/ca.pem")
fi

tools=""
for t in getent dig nslookup nc openssl curl timeout; do
	if have "$t"; then tools="$tools $t=yes"; else tools="$tools $t=no"; fi
done
emit env "$(hostname 2>/dev/null || echo host)" info 0 "bash=${BASH_VERSION}${tools}"

# resolve NAME: prints the IPv4 addresses, one a line; returns 0 on an
# answer, 1 when the name does not exist or has no A record, 2 when no
# server answered, 3 when no tool could ask.
LOOKUP_TOOL=""
resolve() {
	local name=$1 out rc
	if [ -n "$RESOLVER_IP" ]; then
		if have dig; then
			LOOKUP_TOOL="dig @$RESOLVER_IP"
			out=$(timeout "$T" dig +time="$T" +tries=1 -p "$RESOLVER_PORT" "@$RESOLVER_IP" "$name" A 2>&1 </dev/null)
			rc=$?
			if [ $rc -ne 0 ] || printf '%s' "$out" | grep -q 'connection timed out\|no servers could be reached'; then return 2; fi
			printf '%s\n' "$out" | awk '$4=="A"{print $5}' | grep -E '^[0-9]+(\.[0-9]+){3}$'
			printf '%s' "$out" | grep -q 'ANSWER: [1-9]' && return 0
			return 1
		fi
		if have nslookup; then
			LOOKUP_TOOL="nslookup $RESOLVER_IP"
			out=$(timeout "$T" nslookup -port="$RESOLVER_PORT" -timeout="$T" -retry=1 "$name" "$RESOLVER_IP" 2>&1 </dev/null)
			rc=$?
			if printf '%s' "$out" | grep -q 'timed out\|no servers could be reached'; then return 2; fi
			out=$(printf '%s\n' "$out" | awk '/^Name:/{seen=1} seen && /^Address: /{print $2}' | grep -E '^[0-9]+(\.[0-9]+){3}$')
			[ -n "$out" ] || return 1
			printf '%s\n' "$out"
			return 0
		fi
		LOOKUP_TOOL="none"
		return 3
	fi
	if have getent; then
		LOOKUP_TOOL="getent (system resolver)"
		out=$(timeout "$T" getent ahostsv4 "$name" </dev/null)
		rc=$?
		[ $rc -eq 124 ] && return 2
		[ $rc -ne 0 ] && return 1
		printf '%s\n' "$out" | awk '{print $1}' | sort -u
		return 0
	fi
	if have dig; then
		LOOKUP_TOOL="dig (system resolver)"
		out=$(timeout "$T" dig +time="$T" +tries=1 "$name" A 2>&1 </dev/null) || return 2
		printf '%s\n' "$out" | awk '$4=="A"{print $5}' | grep -E '^[0-9]+(\.[0-9]+){3}$' && return 0
		return 1
	fi
	LOOKUP_TOOL="none"
	return 3
}

dns_check() { # name → emits, sets ADDRS_OUT
	local name=$1 start out rc
	start=$(now_ms)
	# Not in $(...): resolve sets LOOKUP_TOOL for the line below.
	resolve "$name" >"$WORK/dns.out"
	rc=$?
	out=$(cat "$WORK/dns.out")
	local ms=$(($(now_ms) - start))
	ADDRS_OUT=$(printf '%s\n' "$out" | grep -E '^[0-9]+(\.[0-9]+){3}$' | sort -u | head -n 16 | tr '\n' ' ')
	case $rc in
	0) emit dns "$name" ok "$ms" "addresses=${ADDRS_OUT% } via=$LOOKUP_TOOL" ;;
	1) emit dns "$name" fail "$ms" "reason=nxdomain via=$LOOKUP_TOOL" ;;
	2) emit dns "$name" fail "$ms" "reason=timeout via=$LOOKUP_TOOL" ;;
	*) emit dns "$name" fail "$ms" "reason=notool via=none" ;;
	esac
	return $rc
}

# tcp_check ADDR → 0 when connected
tcp_check() {
	local addr=$1 start out rc ms
	start=$(now_ms)
	out=$(timeout "$T" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$addr" "$PORT" 2>&1 </dev/null)
	rc=$?
	if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'No such file or directory'; then
		# bash without network redirections: nc, if there is one.
		if have nc; then
			out=$(nc -z -w "$T" "$addr" "$PORT" 2>&1 </dev/null)
			rc=$?
			printf '%s' "$out" | grep -qi refused && rc=111
		else
			emit tcp "$addr:$PORT" fail 0 "reason=notool"
			return 1
		fi
	fi
	ms=$(($(now_ms) - start))
	if [ $rc -eq 0 ]; then
		emit tcp "$addr:$PORT" ok "$ms" "connected"
		return 0
	fi
	if [ $rc -eq 124 ] || printf '%s' "$out" | grep -qi 'timed out'; then
		emit tcp "$addr:$PORT" fail "$ms" "reason=timeout"
	elif [ $rc -eq 111 ] || printf '%s' "$out" | grep -qi 'refused'; then
		emit tcp "$addr:$PORT" fail "$ms" "reason=refused"
	elif printf '%s' "$out" | grep -qi 'unreachable\|no route'; then
		emit tcp "$addr:$PORT" fail "$ms" "reason=unreachable"
	else
		emit tcp "$addr:$PORT" fail "$ms" "reason=error $(printf '%s' "$out" | tail -n 1)"
	fi
	return 1
}

# tls_check ADDR → 0 verified, 1 failed, 2 plain text (auto mode)
tls_check() {
	local addr=$1 start out rc ms cert verify subject enddate sans
	if ! have openssl; then
		emit tls "$addr:$PORT" skip 0 "reason=notool"
		return 3
	fi
	start=$(now_ms)
	out=$(timeout "$T" openssl s_client -connect "$addr:$PORT" -servername "$SNI" -verify_hostname "$SNI" \
		-verify_return_error "${CAOPT[@]}" </dev/null 2>&1)
	rc=$?
	ms=$(($(now_ms) - start))
	cert=$(printf '%s\n' "$out" | sed -n '/-----BEGIN CERTIFICATE-----/,/-----END CERTIFICATE-----/p')
	verify=$(printf '%s\n' "$out" | grep -m1 -E 'Verify return code:|verify error:' | sed 's/^ *//')
	if [ -n "$cert" ]; then
		subject=$(printf '%s\n' "$cert" | openssl x509 -noout -subject 2>/dev/null | sed 's/^subject= *//')
		enddate=$(printf '%s\n' "$cert" | openssl x509 -noout -enddate 2>/dev/null | sed 's/^notAfter=//')
		sans=$(printf '%s\n' "$cert" | openssl x509 -noout -text 2>/dev/null | grep -o 'DNS:[^,]*' | sed 's/^DNS://' | head -n 20 | tr '\n' ' ')
	fi
	local detail="verify=${verify:-none} subject=${subject} notafter=${enddate} names=${sans% }"
	if [ $rc -eq 0 ] && printf '%s' "$out" | grep -q 'Verify return code: 0 (ok)'; then
		emit tls "$addr:$PORT" ok "$ms" "$detail"
		return 0
	fi
	if [ "$TLS_MODE" = auto ] && [ -z "$cert" ] && printf '%s' "$out" | grep -qi 'wrong version number\|packet length too long\|unknown protocol\|record layer failure'; then
		emit tls "$addr:$PORT" skip "$ms" "reason=plaintext"
		return 2
	fi
	if [ $rc -eq 124 ]; then
		emit tls "$addr:$PORT" fail "$ms" "reason=timeout $detail"
	elif [ -z "$cert" ]; then
		emit tls "$addr:$PORT" fail "$ms" "reason=handshake verify=${verify:-none} $(printf '%s\n' "$out" | grep -m1 -i 'error\|alert\|errno')"
	else
		emit tls "$addr:$PORT" fail "$ms" "reason=verify $detail"
	fi
	return 1
}

# http_check ADDR SCHEME
http_check() {
	local addr=$1 scheme=$2 start code rc ms url
	url="$scheme://$NAME:$PORT$HTTP_PATH"
	if ! have curl; then
		emit http "$addr:$PORT" skip 0 "reason=notool url=$url"
		return 1
	fi
	start=$(now_ms)
	code=$(curl -sS -o /dev/null -w '%{http_code}' --connect-timeout "$T" --max-time "$((T * 2))" \
		--resolve "$NAME:$PORT:$addr" "${CURLCA[@]}" "$url" 2>"$WORK/curl.err" </dev/null)
	rc=$?
	ms=$(($(now_ms) - start))
	if [ $rc -eq 0 ]; then
		emit http "$addr:$PORT" ok "$ms" "status=$code url=$url"
		return 0
	fi
	emit http "$addr:$PORT" fail "$ms" "reason=curl$rc url=$url $(head -c 300 "$WORK/curl.err")"
	return 1
}

START=$(now_ms)
ADDRS_OUT=""
targets=""
if dns_check "$NAME"; then
	targets=$ADDRS_OUT
fi
for v in $VPCE_NAMES; do
	dns_check "$v"
done
[ -z "$targets" ] && targets=$EXPECTED_ADDRS
n=0
for a in $targets; do
	n=$((n + 1))
	[ $n -gt 8 ] && break
	if ! tcp_check "$a"; then
		[ "$TLS_MODE" != off ] && emit tls "$a:$PORT" skip 0 "reason=tcp"
		[ -n "$HTTP_PATH" ] && emit http "$a:$PORT" skip 0 "reason=tcp"
		continue
	fi
	scheme=https
	if [ "$TLS_MODE" = off ]; then
		scheme=http
	else
		tls_check "$a"
		case $? in
		1)
			[ -n "$HTTP_PATH" ] && emit http "$a:$PORT" skip 0 "reason=tls"
			continue
			;;
		2) scheme=http ;;
		esac
	fi
	[ -n "$HTTP_PATH" ] && http_check "$a" "$scheme"
done
emit done "$NAME" info $(($(now_ms) - START)) "checks=complete"
exit 0
