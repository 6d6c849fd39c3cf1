#!/usr/bin/env bash
# A development PKI beside the appliance, made with OpenSSL and SoftHSM2 (nothing downloaded):
#   - a test CA (openssl ca) whose certificate becomes the trust directory,
#   - OpenSSL's OCSP responder for it (scripts/dev-pki/ocsp.sh) and its CRL,
#   - an AUTH and a signing certificate with IIN/BIN fields for two people — a sender and a
#     counterparty in another organization (PKCS#12, password "test"),
#   - the OCSP responder started (in the background; its pid in ocsp.pid, its log in ocsp.log),
#   - a SoftHSM2 token with the appliance's system key and its TSA key generated inside it and
#     certified by the CA (the appliance then serves POST /tsa and timestamps signatures with it).
# Then: `source data/dev-pki/env.sh && make run` (README, "First steps").
# Usage: scripts/dev-pki/setup.sh [IIN] [BIN] [COUNTERPARTY_IIN] [COUNTERPARTY_BIN]   (defaults: valid test ones)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
IIN=${1:-880101300123}
BIN=${2:-990340000014}
CP_IIN=${3:-870202400512}
CP_BIN=${4:-990440000038}
DIR=${QUJAT_DEV_PKI_DIR:-data/dev-pki}
OCSP_PORT=${QUJAT_DEV_OCSP_PORT:-8889}
command -v softhsm2-util >/dev/null || { echo "softhsm2 is missing: apt-get install softhsm2 (make test installs it)" >&2; exit 1; }
# `npx qujat` (the HSM key commands below) runs from the locked dependencies: install them on a fresh clone.
[ -f node_modules/.installed ] || make -s install
mkdir -p "$DIR"/{ca/issued,trust,people,tokens}
DIR=$(cd "$DIR" && pwd)
cd "$DIR/ca"
if [ ! -f ca.pem ]; then
  : > index.txt; echo 1000 > serial
  cp "$ROOT/scripts/dev-pki/openssl-ca.cnf" ca.cnf
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 -subj "/CN=Qujat Dev CA/O=Qujat Dev PKI/C=KZ" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi
cp ca.pem "$DIR/trust/qujat-dev-ca.pem"
ext() { # purpose roles
  local ku eku
  if [ "$1" = sign ]; then ku="digitalSignature, nonRepudiation"; eku="emailProtection"; else ku="digitalSignature, keyEncipherment"; eku="clientAuth"; fi
  printf '[v3]\nkeyUsage = critical, %s\nextendedKeyUsage = %s, %s\nbasicConstraints = critical, CA:FALSE\nauthorityInfoAccess = OCSP;URI:http://127.0.0.1:%s/\n' \
    "$ku" "$eku" "$2" "$OCSP_PORT"
}
person() { # name purpose [cn iin bin organization]
  local name=$1 purpose=$2 cn=${3:-Dev Person} iin=${4:-$IIN} bin=${5:-$BIN} org=${6:-Dev LLP}
  [ -f "$DIR/people/$name.p12" ] && return
  openssl req -new -newkey rsa:2048 -nodes -keyout "$DIR/people/$name.key" -out "$DIR/people/$name.csr" \
    -subj "/CN=$cn/serialNumber=IIN$iin/OU=BIN$bin/O=$org/C=KZ" 2>/dev/null
  ext "$purpose" "1.2.398.3.3.4.1.2, 1.2.398.3.3.4.1.2.1" > "$DIR/people/$name.ext"
  openssl ca -batch -config ca.cnf -days 730 -preserveDN -notext -in "$DIR/people/$name.csr" -out "$DIR/people/$name.pem" -extfile "$DIR/people/$name.ext" -extensions v3 2>/dev/null
  openssl pkcs12 -export -in "$DIR/people/$name.pem" -inkey "$DIR/people/$name.key" -out "$DIR/people/$name.p12" -passout pass:test
}
person sign sign
person auth auth
person counterparty-sign sign "Dev Counterparty" "$CP_IIN" "$CP_BIN" "Dev Counterparty LLP"
person counterparty-auth auth "Dev Counterparty" "$CP_IIN" "$CP_BIN" "Dev Counterparty LLP"
openssl ca -config ca.cnf -gencrl -crldays 7 -out crl.pem 2>/dev/null && openssl crl -in crl.pem -outform DER -out crl.der
cat > "$DIR/ocsp.sh" <<SH
#!/usr/bin/env bash
# OpenSSL's OCSP responder for the dev CA on 127.0.0.1:$OCSP_PORT (restart it after revoking: it reads its index at start).
cd "$DIR/ca" && exec openssl ocsp -index index.txt -port $OCSP_PORT -rsigner ca.pem -rkey ca.key -CA ca.pem -nmin 60 -ignore_err
SH
chmod +x "$DIR/ocsp.sh"
# Start the responder unless one answers already (a second run, or one started by hand).
ocsp_answers() {
  openssl ocsp -issuer "$DIR/ca/ca.pem" -serial 1 -url "http://127.0.0.1:$OCSP_PORT/" -no_nonce -noverify -timeout 2 >/dev/null 2>&1
}
if ! ocsp_answers; then
  nohup "$DIR/ocsp.sh" > "$DIR/ocsp.log" 2>&1 &
  echo $! > "$DIR/ocsp.pid"
  for _ in $(seq 100); do ocsp_answers && break; sleep 0.1; done
  ocsp_answers || { echo "the OCSP responder did not start; see $DIR/ocsp.log" >&2; exit 1; }
fi
# The HSM: a SoftHSM2 token of its own, the system key generated inside it.
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$DIR" > "$DIR/softhsm2.conf"
export SOFTHSM2_CONF="$DIR/softhsm2.conf"
MODULE=$(ls /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so 2>/dev/null | head -1)
cat > "$DIR/env.sh" <<SH
export SOFTHSM2_CONF="$DIR/softhsm2.conf"
export QUJAT_TRUST_DIR="$DIR/trust"
export QUJAT_HSM_MODULE="$MODULE"
export QUJAT_HSM_TOKEN="qujat-dev"
export QUJAT_HSM_PIN_FILE="$DIR/pin"
export QUJAT_TSA_SERVE=true
export QUJAT_TSA_URL="http://127.0.0.1:${QUJAT_PORT:-8080}/tsa"
SH
echo 1234 > "$DIR/pin"; chmod 600 "$DIR/pin"
cd - >/dev/null
# shellcheck disable=SC1091
source "$DIR/env.sh"
if ! softhsm2-util --show-slots 2>/dev/null | grep -q "qujat-dev"; then
  softhsm2-util --init-token --free --label qujat-dev --pin 1234 --so-pin 12345678 >/dev/null
  npx qujat hsm:keygen --label qujat-system --subject "CN=Qujat Dev Appliance, O=Qujat Dev PKI, C=KZ" > "$DIR/system.csr"
  printf '[v3]\nkeyUsage = critical, digitalSignature, nonRepudiation\nbasicConstraints = critical, CA:FALSE\n' > "$DIR/system.ext"
  (cd "$DIR/ca" && openssl ca -batch -config ca.cnf -days 730 -preserveDN -notext -in "$DIR/system.csr" -out "$DIR/system.pem" -extfile "$DIR/system.ext" -extensions v3 2>/dev/null)
  npx qujat hsm:import-cert --label qujat-system --file "$DIR/system.pem"
  # The internal TSA's key (POST /tsa): a time-stamping certificate, critical EKU timeStamping.
  npx qujat hsm:keygen --label qujat-tsa --subject "CN=Qujat Dev TSA, O=Qujat Dev PKI, C=KZ" > "$DIR/tsa.csr"
  printf '[v3]\nkeyUsage = critical, digitalSignature, nonRepudiation\nextendedKeyUsage = critical, timeStamping\nbasicConstraints = critical, CA:FALSE\n' > "$DIR/tsa.ext"
  (cd "$DIR/ca" && openssl ca -batch -config ca.cnf -days 730 -preserveDN -notext -in "$DIR/tsa.csr" -out "$DIR/tsa.pem" -extfile "$DIR/tsa.ext" -extensions v3 2>/dev/null)
  npx qujat hsm:import-cert --label qujat-tsa --file "$DIR/tsa.pem"
fi
npx qujat hsm:status
echo
echo "dev PKI in $DIR:"
echo "  trust:   $DIR/trust"
echo "  sender:        $DIR/people/{sign,auth}.p12 (password test; IIN $IIN, BIN $BIN)"
echo "  counterparty:  $DIR/people/counterparty-{sign,auth}.p12 (password test; IIN $CP_IIN, BIN $CP_BIN)"
echo "  OCSP:    running on port $OCSP_PORT (stop: kill \$(cat $DIR/ocsp.pid))   TSA: the appliance itself, POST /tsa"
echo "  then:    source $DIR/env.sh && make run"
