#!/usr/bin/env bash
# make demo: the product end to end on this machine. KubeSim serves a Kubernetes API with one simulated node
# whose pods get real network namespaces; the real agent (ipnc agent) programs the opted-in bookinfo pods;
# ipnc probe then proves with real TCP connections that a pod's traffic is captured. Everything started here
# is stopped, and everything made is removed, at the end, on failure and on Ctrl-C. Needs root.
#
# Environment: CONFIGURATION (Release), IPNC and KUBESIM (the binaries; default the build output),
# DEMO_PREFIX (prefix of KubeSim's netns and interfaces, at most 8 letters or digits).
set -euo pipefail
cd "$(dirname "$0")/.."
# $EPOCHREALTIME and awk then agree on the decimal point.
export LC_ALL=C

configuration=${CONFIGURATION:-Release}
ipnc=${IPNC:-src/Host/bin/$configuration/net10.0/ipnc}
kubesim=${KUBESIM:-src/KubeSim/bin/$configuration/net10.0/kubesim}
prefix=${DEMO_PREFIX:-demo$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')}
node=node-a
ns=bookinfo
status_annotation='pod-network-controller\.istio\.io/status'

demo_started=$EPOCHREALTIME
work=""
kubesim_pid=""
agent_pid=""

say() { printf '\n==> %s\n' "$*"; }
# Shows a command the way a person would type it (kubectl's KUBECONFIG and --cache-dir are set once, below).
show() { printf '$ %s\n' "$*"; }
fail() {
  printf '\ndemo: FAILED: %s\n' "$*" >&2
  exit 1
}
# Seconds since a $EPOCHREALTIME reading, one decimal.
since() { awk -v start="$1" -v now="$EPOCHREALTIME" 'BEGIN { printf "%.1f", now - start }'; }
alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# Stops a process this script started: SIGTERM, up to 20 s for its own clean-up, then SIGKILL.
stop_process() {
  local pid=$1 name=$2
  if [ -z "$pid" ] || ! alive "$pid"; then
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 200); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    echo "demo: $name (pid $pid) did not stop within 20 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

log_tail() {
  local file=$1 name=$2
  if [ -s "$file" ]; then
    printf -- '--- last lines of the %s log ---\n' "$name" >&2
    tail -n 15 "$file" >&2
  fi
}

teardown() {
  local status=$?
  set +e
  trap - EXIT INT TERM
  if [ "$status" -ne 0 ] && [ "$status" -ne 130 ] && [ -n "$work" ]; then
    log_tail "$work/agent.log" agent
    log_tail "$work/kubesim.log" kubesim
  fi
  say "Tearing down"
  local started=$EPOCHREALTIME
  if [ -n "$agent_pid" ]; then
    stop_process "$agent_pid" "the agent"
    echo "agent (pid $agent_pid) stopped"
  fi
  if [ -n "$kubesim_pid" ]; then
    stop_process "$kubesim_pid" kubesim
    echo "kubesim (pid $kubesim_pid) stopped; it removes every pod sandbox and node netns it made"
  fi
  local leftover
  leftover=$(ip netns list 2>/dev/null | awk -v p="$prefix-" 'index($1, p) == 1' | wc -l)
  [ -n "$work" ] && rm -rf "$work"
  echo "temporary files removed; network namespaces left behind: $leftover"
  if [ "$leftover" -ne 0 ] && [ "$status" -eq 0 ]; then
    echo "demo: FAILED: $leftover network namespaces named $prefix-* were left behind" >&2
    status=1
  fi
  if [ "$status" -eq 0 ]; then
    say "Summary"
    echo "$summary"
    echo "torn down in $(since "$started") s; the demo took $(since "$demo_started") s in all"
  elif [ "$status" -eq 130 ]; then
    echo "demo: interrupted; everything it started is stopped and removed" >&2
  fi
  exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT TERM

# Waits until a line matching a pattern appears in a log, while the process writing it lives.
wait_for_line() {
  local file=$1 pattern=$2 pid=$3 what=$4 seconds=$5
  local deadline=$((EPOCHSECONDS + seconds))
  until grep -q -- "$pattern" "$file" 2>/dev/null; do
    alive "$pid" || fail "$what: the process (pid $pid) exited first"
    [ "$EPOCHSECONDS" -lt "$deadline" ] || fail "no $what within $seconds s"
    sleep 0.1
  done
}

[ "$(id -u)" -eq 0 ] || fail "run as root: KubeSim makes real network namespaces and the agent programs iptables in them"
for binary in "$ipnc" "$kubesim"; do
  [ -x "$binary" ] || fail "$binary is not built; 'make demo' builds it first"
done
command -v kubectl >/dev/null || fail "kubectl is not installed; 'make demo' installs it (scripts/install-deps.sh)"

work=$(mktemp -d /tmp/ipnc-demo.XXXXXX)
export KUBECONFIG=$work/kubeconfig
kubectl() { command kubectl --cache-dir "$work/kube-cache" "$@"; }

say "Starting KubeSim with one simulated node whose pods get real sandboxes"
show "kubesim --sandbox netns --node $node --prefix $prefix --kubeconfig-out $KUBECONFIG"
"$kubesim" --sandbox netns --node "$node" --prefix "$prefix" --kubeconfig-out "$KUBECONFIG" >"$work/kubesim.log" 2>&1 &
kubesim_pid=$!
wait_for_line "$work/kubesim.log" "kubesim: ready" "$kubesim_pid" "KubeSim ready line" 30
echo "kubesim (pid $kubesim_pid): $(grep -m1 'kubesim: ready' "$work/kubesim.log")"
echo "(kubectl below runs with KUBECONFIG=$KUBECONFIG and a fresh --cache-dir)"
node_netns=/run/netns/$(kubectl get node "$node" -o jsonpath='{.metadata.annotations.kubesim\.io/netns}')
echo "node $node: network namespace $node_netns, pod range $(kubectl get node "$node" -o jsonpath='{.spec.podCIDR}')"

say "Starting the agent for $node"
show "ipnc agent --node-name $node --kubeconfig $KUBECONFIG --remoting-port 0 --health-host 127.0.0.1 --health-port 0 --command-port 0"
"$ipnc" agent --node-name "$node" --kubeconfig "$KUBECONFIG" --remoting-host 127.0.0.1 --remoting-port 0 \
  --health-host 127.0.0.1 --health-port 0 --command-port 0 >"$work/agent.log" 2>&1 &
agent_pid=$!
wait_for_line "$work/agent.log" "Command endpoint listening on 127.0.0.1:" "$agent_pid" "agent command endpoint" 30
command_port=$(grep -m1 -o 'Command endpoint listening on 127.0.0.1:[0-9]*' "$work/agent.log" | grep -o '[0-9]*$')
agent="127.0.0.1:$command_port"
echo "agent (pid $agent_pid): operator commands on $agent"

say "Opting the bookinfo namespace in and deploying bookinfo"
show "kubectl create namespace $ns"
kubectl create namespace "$ns"
show "kubectl annotate ns $ns istio-pod-network-controller/initialize=true"
kubectl annotate ns "$ns" istio-pod-network-controller/initialize=true
show "kubectl apply -f examples/bookinfo.yaml -n $ns"
applied=$EPOCHREALTIME
kubectl apply -f examples/bookinfo.yaml -n "$ns"
wanted=$(kubectl get deployments -n "$ns" -o jsonpath='{range .items[*]}{.spec.replicas}{"\n"}{end}' | awk '{ n += $1 } END { print n + 0 }')

say "Watching the $wanted pods: running, then initialized (the agent's annotation pod-network-controller.istio.io/status)"
declare -A seen=()
initialized=0
deadline=$((EPOCHSECONDS + 30))
while :; do
  while read -r name phase ip capture; do
    state="$phase"
    [ "$ip" = "<none>" ] || state="$phase $ip"
    [ "$capture" = "<none>" ] || state="$capture"
    if [ "${seen[$name]:-}" != "$state" ]; then
      seen[$name]=$state
      printf '  +%4s s after apply  %-34s %s\n' "$(since "$applied")" "$name" "$state"
    fi
  done < <(kubectl get pods -n "$ns" --no-headers \
    -o custom-columns="NAME:.metadata.name,PHASE:.status.phase,IP:.status.podIP,CAPTURE:.metadata.annotations.$status_annotation")
  initialized=0
  for state in "${seen[@]}"; do
    [ "$state" = initialized ] && initialized=$((initialized + 1))
  done
  [ "$initialized" -ge "$wanted" ] && break
  [ "$EPOCHSECONDS" -lt "$deadline" ] || fail "only $initialized of $wanted pods initialized within 30 s"
  sleep 0.2
done
init_seconds=$(since "$applied")
echo "all $wanted pods initialized $init_seconds s after kubectl apply"

say "The agent's view of its pods"
show "ipnc $agent pods -n $ns"
"$ipnc" "$agent" pods -n "$ns"

say "What Kubernetes sees: the status annotation and the pod condition (usable as a readiness gate)"
columns="NAME:.metadata.name,NODE:.spec.nodeName,IP:.status.podIP,STATUS-ANNOTATION:.metadata.annotations.$status_annotation"
columns+=',INITIALIZED-CONDITION:.status.conditions[?(@.type=="pod-network-controller.istio.io/initialized")].status'
show "kubectl get pods -n $ns -o custom-columns=$columns"
kubectl get pods -n "$ns" -o custom-columns="$columns"

productpage=$(kubectl get pods -n "$ns" -l app=productpage -o jsonpath='{.items[0].metadata.name}')
productpage_netns=/run/netns/$prefix-pod-$(kubectl get pod -n "$ns" "$productpage" -o jsonpath='{.metadata.uid}')
reviews=$(kubectl get pods -n "$ns" -l app=reviews,version=v1 -o jsonpath='{.items[0].metadata.name}')
reviews_ip=$(kubectl get pod -n "$ns" "$reviews" -o jsonpath='{.status.podIP}')
reviews_netns=/run/netns/$prefix-pod-$(kubectl get pod -n "$ns" "$reviews" -o jsonpath='{.metadata.uid}')
for file in "$productpage_netns" "$reviews_netns"; do
  [ -e "$file" ] || fail "no network namespace $file (KubeSim names a pod's netns <prefix>-pod-<uid>)"
done

say "The rules the agent programmed into $productpage, and its transitions"
show "ipnc $agent pod describe $ns/$productpage"
"$ipnc" "$agent" pod describe "$ns/$productpage"

say "Proving capture with real connections (a stand-in proxy listens on the proxy port inside the pod while each check runs)"
echo "productpage calls reviews ($reviews_ip:9080) as an application (uid 1000): it must land on the sidecar's outbound port 15001"
show "ipnc probe --netns $productpage_netns --to $reviews_ip:9080"
"$ipnc" probe --netns "$productpage_netns" --to "$reviews_ip:9080" || fail "productpage's outbound traffic was not captured"
echo "the same call as the proxy itself (uid 1337) must not be captured, or Envoy would loop; it goes out to reviews,"
echo "whose own inbound capture sends it to reviews' port 15006, where no proxy runs in this demo: refused"
show "ipnc probe --netns $productpage_netns --to $reviews_ip:9080 --uid 1337"
set +e
"$ipnc" probe --netns "$productpage_netns" --to "$reviews_ip:9080" --uid 1337
proxy_status=$?
set -e
[ "$proxy_status" -eq 1 ] || fail "the proxy's own traffic (uid 1337) should not be captured (ipnc probe exited $proxy_status, expected 1)"
echo "a call into reviews from the node must land on reviews' inbound port 15006"
show "ipnc probe --netns $reviews_netns --inbound $reviews_ip:9080 --from-netns $node_netns"
"$ipnc" probe --netns "$reviews_netns" --inbound "$reviews_ip:9080" --from-netns "$node_netns" || fail "inbound traffic to reviews was not captured"

summary="$wanted of $wanted bookinfo pods initialized by the agent $init_seconds s after kubectl apply;
capture proven with real TCP: productpage -> reviews:9080 landed on 15001 with its original destination,
the node -> reviews:9080 landed on 15006, and the proxy's own uid 1337 was not captured."
