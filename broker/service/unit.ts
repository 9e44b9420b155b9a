/**
 * The systemd unit `postbridge service install` writes: a dedicated user, restart on failure, the data directory as
 * the only writable path, and the sandboxing systemd offers a network daemon that needs no privileges.
 * MemoryDenyWriteExecute is left out on purpose: V8 compiles JavaScript to machine code at run time.
 */

export interface UnitOptions {
  /** Absolute path of the node binary. */
  node: string
  /** Absolute path of bin/postbridge.js. */
  cli: string
  /** The system user the service runs as. */
  user: string
  /** Absolute data directory; the only path the service may write. */
  dataDir: string
  /** Absolute config file path, if one is used. */
  config?: string
}

export const UNIT_NAME = 'postbridge.service'

/** Quotes a path for an ExecStart= line (systemd splits on spaces and understands C-style quoting). */
function quoted(path: string): string {
  return /^[A-Za-z0-9_./+:@-]+$/.test(path) ? path : `"${path.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

export function renderUnit(o: UnitOptions): string {
  const exec = [quoted(o.node), quoted(o.cli), 'start', ...(o.config ? ['--config', quoted(o.config)] : [])].join(' ')
  return `# Written by "postbridge service install"; "postbridge service uninstall" removes it.
[Unit]
Description=Postbridge: HTTP and MQTT for the things in a house
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=${o.user}
Group=${o.user}
Environment=NODE_ENV=production
Environment=POSTBRIDGE_DATA_DIR=${o.dataDir}
# Secrets (POSTBRIDGE_ADMIN_TOKEN, POSTBRIDGE_SECRET_*) go in this file, readable by root only.
EnvironmentFile=-/etc/postbridge/env
WorkingDirectory=${o.dataDir}
ExecStart=${exec}
Restart=on-failure
RestartSec=2s
# A clean stop waits for requests in flight (5 s) and flushes the stores.
TimeoutStopSec=20s
UMask=0077

# Sandboxing: the data directory is the only writable path.
ReadWritePaths=${o.dataDir}
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
NoNewPrivileges=yes
CapabilityBoundingSet=
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native

[Install]
WantedBy=multi-user.target
`
}
