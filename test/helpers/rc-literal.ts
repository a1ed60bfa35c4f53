// The literal first poll of PROTOCOL.md §3.3 (dd-trace-js 6.21.0 with FFE over RC) and its reply.

export const LITERAL_REQUEST =
  '{"client":{"state":{"root_version":1,"targets_version":0,"config_states":[],"has_error":false,"error":"","backend_client_state":""},"id":"add46572-e33f-496d-97c8-2871a16d74b1","products":["APM_TRACING","AGENT_CONFIG","AGENT_TASK","ASM_FEATURES","FFE_FLAGS"],"is_tracer":true,"client_tracer":{"runtime_id":"6997032b-1e74-4ce8-8290-b6e64aed0fe5","language":"node","tracer_version":"6.21.0","service":"checkout","env":"dev","app_version":"1.2.3","extra_services":[],"tags":["service:checkout","env:dev","version:1.2.3","runtime-id:6997032b-1e74-4ce8-8290-b6e64aed0fe5","_dd.rc.client_id:add46572-e33f-496d-97c8-2871a16d74b1"],"process_tags":["entrypoint.basedir:app","entrypoint.name:app","entrypoint.type:script","entrypoint.workdir:app","package.json.name:checkout","svc.user:true"]},"capabilities":"AmNAoAjwAg=="},"cached_target_files":[]}';

/** The raw director targets.json of the reply (562 bytes), forwarded byte for byte. */
export const LITERAL_TARGETS_JSON =
  '{"signatures":[{"keyid":"eab68a81e62173a71a44258d69ff4876569e173ae1d73ce908b7c8079b744ada","sig":"34ed2dd0816df9f012de61eb19716a4eb9a8bc99f015341b10ca15e6dab35a09daa601ac26537c89b4bc0fc8b931a8d3a5b984f681a3d21679544e9ad21c0807"}],"signed":{"_type":"targets","spec_version":"1.0.0","version":1795344487,"expires":"2099-01-01T00:00:00Z","targets":{"datadog/2/FFE_FLAGS/ffe-bench/config":{"length":59,"hashes":{"sha256":"b8c0e36703a60978f8a9f8e4e472c4a04b44ffefbcce9c569b623ddaac127b9e"},"custom":{"v":1}}},"custom":{"opaque_backend_state":"eyJmb28iOiJiYXIifQ=="}}}';

export const LITERAL_FILE_PATH = 'datadog/2/FFE_FLAGS/ffe-bench/config';
/** The 59-byte FFE_FLAGS file. */
export const LITERAL_FILE = '{"format":"SERVER","environment":{"name":"dev"},"flags":{}}';

export const LITERAL_REPLY =
  '{"targets":"eyJzaWduYXR1cmVzIjpbeyJrZXlpZCI6ImVhYjY4YTgxZTYyMTczYTcxYTQ0MjU4ZDY5ZmY0ODc2NTY5ZTE3M2FlMWQ3M2NlOTA4YjdjODA3OWI3NDRhZGEiLCJzaWciOiIzNGVkMmRkMDgxNmRmOWYwMTJkZTYxZWIxOTcxNmE0ZWI5YThiYzk5ZjAxNTM0MWIxMGNhMTVlNmRhYjM1YTA5ZGFhNjAxYWMyNjUzN2M4OWI0YmMwZmM4YjkzMWE4ZDNhNWI5ODRmNjgxYTNkMjE2Nzk1NDRlOWFkMjFjMDgwNyJ9XSwic2lnbmVkIjp7Il90eXBlIjoidGFyZ2V0cyIsInNwZWNfdmVyc2lvbiI6IjEuMC4wIiwidmVyc2lvbiI6MTc5NTM0NDQ4NywiZXhwaXJlcyI6IjIwOTktMDEtMDFUMDA6MDA6MDBaIiwidGFyZ2V0cyI6eyJkYXRhZG9nLzIvRkZFX0ZMQUdTL2ZmZS1iZW5jaC9jb25maWciOnsibGVuZ3RoIjo1OSwiaGFzaGVzIjp7InNoYTI1NiI6ImI4YzBlMzY3MDNhNjA5NzhmOGE5ZjhlNGU0NzJjNGEwNGI0NGZmZWZiY2NlOWM1NjliNjIzZGRhYWMxMjdiOWUifSwiY3VzdG9tIjp7InYiOjF9fX0sImN1c3RvbSI6eyJvcGFxdWVfYmFja2VuZF9zdGF0ZSI6ImV5Sm1iMjhpT2lKaVlYSWlmUT09In19fQ==","target_files":[{"path":"datadog/2/FFE_FLAGS/ffe-bench/config","raw":"eyJmb3JtYXQiOiJTRVJWRVIiLCJlbnZpcm9ubWVudCI6eyJuYW1lIjoiZGV2In0sImZsYWdzIjp7fX0="}],"client_configs":["datadog/2/FFE_FLAGS/ffe-bench/config"]}';
