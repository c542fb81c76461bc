package porttest

import (
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

// Fakes of the secret managers' official CLIs. Each prints what the real
// tool prints on stdout for the one command the adapter runs, and the real
// tool's error texts on stderr for a missing item and a signed-out user
// (file "signedout"); bw also for a locked vault (file "locked" or no
// BW_SESSION). Their argv is recorded (FakeCLI.Calls).

// fakeBwBody answers `bw get item <name or id> --nointeraction` (Bitwarden
// CLI 2024-2026: errors on stderr, exit 1).
const fakeBwBody = `if [ -f "$d/signedout" ]; then echo "You are not logged in." >&2; exit 1; fi
if [ -f "$d/locked" ] || [ -z "$BW_SESSION" ]; then echo "Vault is locked." >&2; exit 1; fi
if [ "$1 $2" != "get item" ]; then echo "unexpected command" >&2; exit 1; fi
f=$(item_file "$3")
if [ -f "$f.ambiguous" ]; then printf 'More than one result was found. Try getting a specific object by ` + "`id`" + ` instead. The following objects were found:\n2f5e6a1c-0000-4000-8000-000000000001\n2f5e6a1c-0000-4000-8000-000000000002\n' >&2; exit 1; fi
if [ ! -f "$f" ]; then echo "Not found." >&2; exit 1; fi
cat "$f"
`

// NewFakeBitwarden writes a fake bw holding items: name -> custom field
// name -> value; fields named password, username and notes become the
// login's password and username and the item's notes, as bw stores them.
func NewFakeBitwarden(t testing.TB, items SecretItems) *FakeCLI {
	f := NewFakeCLI(t, "bw", fakeBwBody)
	for name, fields := range items {
		f.Item(t, name, BitwardenItem(name, fields))
	}
	return f
}

// BitwardenItem is an item as `bw get item` prints it.
func BitwardenItem(name string, fields map[string]string) []byte {
	var custom []map[string]any
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if k != "password" && k != "username" && k != "notes" {
			custom = append(custom, map[string]any{"name": k, "value": fields[k], "type": 1, "linkedId": nil})
		}
	}
	// A linked field has no value of its own.
	custom = append(custom, map[string]any{"name": "linked-username", "value": nil, "type": 3, "linkedId": 100})
	opt := func(k string) any {
		if v, ok := fields[k]; ok {
			return v
		}
		return nil
	}
	return mustJSON(map[string]any{
		"passwordHistory": nil, "revisionDate": "2026-01-12T16:29:26.043Z", "creationDate": "2026-01-12T16:29:26.043Z",
		"deletedDate": nil, "object": "item", "id": "2f5e6a1c-7b7e-4d4e-9a53-b1d90145a1c0", "organizationId": nil,
		"folderId": nil, "type": 1, "reprompt": 0, "name": name, "notes": opt("notes"), "favorite": false,
		"fields":        custom,
		"login":         map[string]any{"uris": []any{}, "username": opt("username"), "password": opt("password"), "totp": nil, "passwordRevisionDate": nil},
		"collectionIds": []any{},
	})
}

// fakeDopplerBody answers `doppler secrets download --no-file --format json
// --project <p> --config <c>` (items are "<project>/<config>").
const fakeDopplerBody = `if [ -f "$d/signedout" ]; then echo "Doppler Error: you must provide a token" >&2; exit 1; fi
project=""; config=""
while [ $# -gt 0 ]; do
  case "$1" in
    --project) project=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    *) shift ;;
  esac
done
f=$(item_file "$project/$config")
if [ ! -f "$f" ]; then printf 'Unable to download secrets\nDoppler Error: Could not find requested config '"'"'%s'"'"'\n' "$config" >&2; exit 1; fi
cat "$f"
`

// NewFakeDoppler writes a fake doppler holding configs: "project/config"
// -> secret name -> value.
func NewFakeDoppler(t testing.TB, configs SecretItems) *FakeCLI {
	f := NewFakeCLI(t, "doppler", fakeDopplerBody)
	for name, secrets := range configs {
		f.Item(t, name, DopplerDownload(name, secrets))
	}
	return f
}

// DopplerDownload is a config's secrets as `doppler secrets download
// --no-file --format json` prints them: Doppler adds DOPPLER_PROJECT,
// DOPPLER_CONFIG and DOPPLER_ENVIRONMENT.
func DopplerDownload(projectConfig string, secrets map[string]string) []byte {
	m := maps.Clone(secrets)
	project, config := projectConfig, projectConfig
	for i := range projectConfig {
		if projectConfig[i] == '/' {
			project, config = projectConfig[:i], projectConfig[i+1:]
		}
	}
	m["DOPPLER_PROJECT"], m["DOPPLER_CONFIG"], m["DOPPLER_ENVIRONMENT"] = project, config, "prd"
	return mustJSON(m)
}

// fakeAWSBody answers `aws secretsmanager get-secret-value --secret-id <id>
// ... --output json` (AWS CLI v2: errors on stderr after a blank line; exit
// 253 for credentials, 254 for a service error).
const fakeAWSBody = `if [ -f "$d/signedout" ]; then printf '\nUnable to locate credentials. You can configure credentials by running "aws configure".\n' >&2; exit 253; fi
id=""
while [ $# -gt 0 ]; do
  case "$1" in
    --secret-id) id=$2; shift 2 ;;
    *) shift ;;
  esac
done
f=$(item_file "$id")
if [ ! -f "$f" ]; then printf '\nAn error occurred (ResourceNotFoundException) when calling the GetSecretValue operation: Secrets Manager can'"'"'t find the specified secret.\n' >&2; exit 254; fi
cat "$f"
`

// NewFakeAWS writes a fake aws holding secrets: secret id -> key -> value,
// each stored as a JSON object in SecretString.
func NewFakeAWS(t testing.TB, secrets SecretItems) *FakeCLI {
	f := NewFakeCLI(t, "aws", fakeAWSBody)
	for id, kv := range secrets {
		f.Item(t, id, AWSSecretValue(id, string(mustJSON(kv))))
	}
	return f
}

// AWSSecretValue is `aws secretsmanager get-secret-value --output json`
// for a secret whose SecretString is s.
func AWSSecretValue(id, s string) []byte {
	return mustJSON(map[string]any{
		"ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:" + id + "-AbCdEf", "Name": id,
		"VersionId": "EXAMPLE1-90ab-cdef-fedc-ba987SECRET1", "SecretString": s,
		"VersionStages": []string{"AWSCURRENT"}, "CreatedDate": "2026-01-12T16:29:26.123000+00:00",
	})
}

// fakeGcloudBody answers `gcloud secrets versions access <version>
// --secret=<name> [--project=<p>] --format=json`.
const fakeGcloudBody = `if [ -f "$d/signedout" ]; then printf 'ERROR: (gcloud.secrets.versions.access) You do not currently have an active account selected.\nPlease run:\n\n  $ gcloud auth login\n\nto obtain new credentials.\n\nIf you have already logged in with a different account, run:\n\n  $ gcloud config set account ACCOUNT\n\nto select an already authenticated account to use.\n' >&2; exit 1; fi
secret=""
for a in "$@"; do
  case "$a" in
    --secret=*) secret=${a#--secret=} ;;
  esac
done
f=$(item_file "$secret")
if [ ! -f "$f" ]; then echo "ERROR: (gcloud.secrets.versions.access) NOT_FOUND: Secret [projects/123456789012/secrets/$secret] not found or has no versions." >&2; exit 1; fi
cat "$f"
`

// NewFakeGcloud writes a fake gcloud holding secrets: name -> key -> value,
// each a JSON object in the secret's payload.
func NewFakeGcloud(t testing.TB, secrets SecretItems) *FakeCLI {
	f := NewFakeCLI(t, "gcloud", fakeGcloudBody)
	for name, kv := range secrets {
		f.Item(t, name, GcloudAccess(name, mustJSON(kv)))
	}
	return f
}

// GcloudAccess is `gcloud secrets versions access --format=json` for a
// secret version whose payload is data.
func GcloudAccess(name string, data []byte) []byte {
	return mustJSON(map[string]any{
		"name":    "projects/123456789012/secrets/" + name + "/versions/3",
		"payload": map[string]any{"data": base64.StdEncoding.EncodeToString(data), "dataCrc32c": "2740319380"},
	})
}

// fakeVaultBody answers `vault kv get -format=json -mount=<mount> [...]
// <path>` (Vault 1.x / OpenBao 2.x: errors on stderr, exit 2).
const fakeVaultBody = `mount=secret; path=""
for a in "$@"; do
  case "$a" in
    -mount=*) mount=${a#-mount=} ;;
    -*) ;;
    kv|get) ;;
    *) path=$a ;;
  esac
done
if [ -f "$d/signedout" ]; then printf 'Error making API request.\n\nURL: GET http://127.0.0.1:8200/v1/sys/internal/ui/mounts/%s/%s\nCode: 403. Errors:\n\n* permission denied\n' "$mount" "$path" >&2; exit 2; fi
f=$(item_file "$mount/$path")
if [ ! -f "$f" ]; then echo "No value found at $mount/data/$path" >&2; exit 2; fi
cat "$f"
`

// NewFakeVault writes a fake vault (or bao, by name) holding KV v2
// secrets: "mount/path" -> key -> value.
func NewFakeVault(t testing.TB, name string, secrets SecretItems) *FakeCLI {
	f := NewFakeCLI(t, name, fakeVaultBody)
	for p, kv := range secrets {
		f.Item(t, p, VaultKVGet(kv))
	}
	return f
}

// VaultKVGet is `vault kv get -format=json` of a KV v2 secret holding kv.
func VaultKVGet(kv map[string]string) []byte {
	return mustJSON(map[string]any{
		"request_id": "1a4b8a5d-0f2c-8c5a-6a42-1e7bd2a3c9f0", "lease_id": "", "lease_duration": 0, "renewable": false,
		"data": map[string]any{"data": kv, "metadata": map[string]any{
			"created_time": "2026-01-12T16:29:26.123456Z", "custom_metadata": nil, "deletion_time": "", "destroyed": false, "version": 2}},
		"warnings": nil,
	})
}

func mustJSON(v any) []byte {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		panic(err)
	}
	return b
}

// FakeScript returns the script of the fake of program (bw, doppler, aws,
// gcloud, vault or bao), for tools that write it without a testing.TB
// (the bench): put it in a directory with the answers under items/ (file
// names from ItemFileName); each call appends a line to argv there.
func FakeScript(program string) string {
	body := map[string]string{"bw": fakeBwBody, "doppler": fakeDopplerBody, "aws": fakeAWSBody,
		"gcloud": fakeGcloudBody, "vault": fakeVaultBody, "bao": fakeVaultBody}[program]
	return FakeScriptWith(body)
}

// FakeScriptWith returns a fake program's script with body after the
// common prologue (argv log, "slow", item_file).
func FakeScriptWith(body string) string { return fakePrologue + body }

// ItemFileName is the name, under a fake's items/ directory, of the file
// that holds item name's answer.
func ItemFileName(name string) string { return strings.ReplaceAll(name, "/", "%2F") }
