/** `postbridge <command>`: start the home node, and manage tokens and MQTT users in its data directory. */
// First, before any module reads outside input.
import './no-proto-accessor.js'
import { parseArgs } from 'node:util'
import { ADMIN_SCOPE, issueToken } from '../src/auth/token.js'
import { hashPassword } from '../src/auth/password.js'
import { ConfigError, type Config } from '../src/config.js'
import { validateTopicFilter } from '../src/topic/validate.js'
import { loadConfig } from './config-file.js'
import { startHome } from './home.js'
import { createLogger } from './logger.js'
import { watchForLoad } from './load-watch.js'
import { isCompilerHeld, releaseAfterStartUp, releaseCompiler } from './v8-hold.js'
import { openDatabase } from './store/db.js'
import { SqliteTokenStore } from './store/tokens-sqlite.js'
import { SqliteUserStore } from './store/users-sqlite.js'

const USAGE = `usage: postbridge <command> [options]

commands:
  start [--config FILE]                      run the home node (broker + HTTP API)
  token create --name NAME [--publish FILTER]... [--read FILTER]... [--admin]
  token list
  token revoke ID
  user add USERNAME [--publish FILTER]... [--subscribe FILTER]...   (password on stdin)
  user list
  user remove USERNAME
  hash-password                              read a password on stdin, print its hash for the config file
  backup FILE [--url URL] [--token TOKEN]     a consistent backup, of the running node if it runs
  restore FILE                               put a backup into an empty data directory
  service install|uninstall [options]        run Postbridge as a systemd service (postbridge service --help)
  webhook list|add|remove                    webhooks of the running node (postbridge webhook --help)
  sensor list|add|remove                     door sensors
  notifier list|test|remove                  phone alert channels
  client list|disconnect                     connected MQTT clients

Every command takes --config FILE (or POSTBRIDGE_CONFIG) to find the data directory.`

class UsageError extends Error {}

const printLine = (line: string) => void process.stdout.write(`${line}\n`)

async function readStdinLine(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '')
  if (!text) throw new UsageError('no password on stdin (e.g. echo -n secret | postbridge user add alice)')
  return text
}

function checkedFilters(filters: string[], flag: string): string[] {
  for (const f of filters) {
    const reason = validateTopicFilter(f)
    if (reason) throw new UsageError(`--${flag} "${f}": ${reason}`)
  }
  return filters
}

async function start(config: Config): Promise<void> {
  const log = createLogger(config.logLevel)
  const home = await startHome(config, log)
  if (home.generatedAdminToken) {
    process.stderr.write(
      `\nFirst start: an admin token was generated. It is shown this once and stored only as a hash:\n\n  ${home.generatedAdminToken}\n\n` +
        `Sign in with it to the dashboard at ${home.httpUrl}/ (from another device: http://<this machine's address>:${home.httpPort}/),\n` +
        `or use it as "Authorization: Bearer <token>". Lost it? Set POSTBRIDGE_ADMIN_TOKEN, or run "postbridge token create --name admin --admin".\n\n`,
    )
  }
  // Where it listens is shown at warn and error too: a user who quiets the log still needs the address.
  const readyLevel = config.logLevel === 'warn' || config.logLevel === 'error' ? config.logLevel : 'info'
  log[readyLevel](
    {
      http: home.httpUrl,
      mqttPort: home.mqttPort,
      ...(home.mqttTlsPort !== undefined ? { mqttTlsPort: home.mqttTlsPort } : {}),
      dataDir: config.dataDir,
      startupMs: Math.round(process.uptime() * 1000),
    },
    'ready',
  )
  // Held since the process began (bin/postbridge.js): from here the young generation grows with the load, and the
  // optimising compiler comes back the first time the node is busy.
  releaseAfterStartUp()
  if (isCompilerHeld()) {
    const loadWatch = watchForLoad()
    void loadWatch.busy.then(() => {
      releaseCompiler()
      log.debug({}, 'busy: optimising compiler released')
    })
    home.watchLoad(loadWatch)
  }
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) process.exit(1) // a second signal means "now"
    stopping = true
    log.info({ signal }, 'shutting down')
    home.close().then(
      () => {
        log.info({}, 'stopped')
        process.exit(0)
      },
      (err) => {
        log.error({ err: String(err) }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}

async function tokenCommand(config: Config, args: string[]): Promise<void> {
  const [sub, ...rest] = args
  const db = openDatabase(config.dataDir)
  try {
    const tokens = new SqliteTokenStore(db)
    if (sub === 'create') {
      const { values } = parseArgs({
        args: rest,
        options: {
          name: { type: 'string' },
          publish: { type: 'string', multiple: true },
          read: { type: 'string', multiple: true },
          admin: { type: 'boolean' },
        },
      })
      if (!values.name) throw new UsageError('token create needs --name')
      const scope = values.admin
        ? ADMIN_SCOPE
        : { publish: checkedFilters(values.publish ?? [], 'publish'), read: checkedFilters(values.read ?? [], 'read'), admin: false }
      const { token, record } = await issueToken(values.name, scope, Date.now())
      await tokens.create(record)
      process.stdout.write(`${token}\n`)
    } else if (sub === 'list') {
      for (const t of await tokens.list()) {
        process.stdout.write(
          `${t.id}\t${t.name}\t${t.scope.admin ? 'admin' : `publish=${t.scope.publish.join(',')} read=${t.scope.read.join(',')}`}\t${new Date(t.createdAt).toISOString()}\n`,
        )
      }
    } else if (sub === 'revoke') {
      const id = rest[0]
      if (!id) throw new UsageError('token revoke needs an ID')
      if (!(await tokens.revoke(id))) throw new UsageError(`no token "${id}"`)
      process.stdout.write(`revoked ${id}\n`)
    } else {
      throw new UsageError(`unknown token command "${sub ?? ''}"`)
    }
  } finally {
    db.close()
  }
}

async function userCommand(config: Config, args: string[]): Promise<void> {
  const [sub, ...rest] = args
  const db = openDatabase(config.dataDir)
  try {
    const users = new SqliteUserStore(db, config.mqtt.users)
    if (sub === 'add') {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { publish: { type: 'string', multiple: true }, subscribe: { type: 'string', multiple: true } },
      })
      const username = positionals[0]
      if (!username) throw new UsageError('user add needs a USERNAME')
      const publish = checkedFilters(values.publish ?? [`devices/${username}/#`], 'publish')
      const subscribe = checkedFilters(values.subscribe ?? [`devices/${username}/#`], 'subscribe')
      users.put({ username, passwordHash: await hashPassword(await readStdinLine()), publish, subscribe })
      process.stdout.write(`user ${username}: publish ${publish.join(', ')}; subscribe ${subscribe.join(', ')}\n`)
    } else if (sub === 'list') {
      for (const u of users.list()) process.stdout.write(`${u.username}\tpublish=${u.publish.join(',')}\tsubscribe=${u.subscribe.join(',')}\n`)
    } else if (sub === 'remove') {
      const username = rest[0]
      if (!username) throw new UsageError('user remove needs a USERNAME')
      if (!users.remove(username)) throw new UsageError(`no stored user "${username}"`)
      process.stdout.write(`removed ${username}\n`)
    } else {
      throw new UsageError(`unknown user command "${sub ?? ''}"`)
    }
  } finally {
    db.close()
  }
}

export async function main(argv: string[], env: Record<string, string | undefined>): Promise<void> {
  const [command, ...rest] = argv
  // Only `start` keeps V8 held (bin/postbridge.js: until ready, the compiler until busy); the other commands work at once.
  if (command !== 'start') {
    releaseAfterStartUp()
    releaseCompiler()
  }
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  // --config may stand anywhere after the command.
  const configAt = rest.indexOf('--config')
  const configFlag = configAt >= 0 ? rest[configAt + 1] : undefined
  if (configAt >= 0 && !configFlag) throw new UsageError('--config needs a FILE')
  const args = configAt >= 0 ? [...rest.slice(0, configAt), ...rest.slice(configAt + 2)] : rest
  // Installing a service reads no config: the unit points at the file for the service to read.
  // The commands other than start, token and user are loaded when run: `start` need not carry them.
  if (command === 'service') {
    const { serviceCommand } = await import('./service/service-command.js')
    return serviceCommand(args, configFlag, printLine)
  }
  // `postbridge token --help`, `user --help`, `start --help`...: their lines of the usage, before any config is read.
  const ownHelp = ['token', 'user', 'start', 'backup', 'restore', 'hash-password']
  if (ownHelp.includes(command) && (args.includes('--help') || ((command === 'token' || command === 'user') && args.length === 0))) {
    const lines = USAGE.split('\n').filter((l) => l.startsWith(`  ${command} `))
    process.stdout.write(
      `usage:\n${lines.join('\n')}\n${command === 'user' ? '\nuser add: --publish and --subscribe each default to devices/<username>/# when not given.\n' : ''}`,
    )
    return
  }
  const config = loadConfig(configFlag, env)
  if (command === 'start') {
    if (args.length > 0) throw new UsageError(`unexpected argument "${args[0]}"`)
    await start(config)
  } else if (command === 'token') await tokenCommand(config, args)
  else if (command === 'user') await userCommand(config, args)
  else if (command === 'backup') await (await import('./backup/backup-command.js')).backupCommand(config, args, printLine)
  else if (command === 'restore') await (await import('./backup/backup-command.js')).restoreCommand(config, args, printLine)
  else if (command === 'hash-password') process.stdout.write(`${await hashPassword(await readStdinLine())}\n`)
  else {
    const { RESOURCES, resourceCommand } = await import('./cli/resource-commands.js')
    if (!Object.hasOwn(RESOURCES, command)) throw new UsageError(`unknown command "${command}"\n${USAGE}`)
    await resourceCommand(command, config, args, env, printLine)
  }
}

// Whatever reads the node's output may go away (`postbridge start | head`, a closed terminal): a write to it then
// fails with EPIPE, which is no reason to stop the broker. Other errors stay fatal, as without these listeners.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err
  })
}

main(process.argv.slice(2), process.env).catch((err: unknown) => {
  // One line, naming the key or value: no stack for the user's mistakes.
  if (err instanceof ConfigError) process.stderr.write(`postbridge: config: ${err.problems.join('; ')}\n`)
  // The user's mistakes (UsageError, and the commands' own: ServiceUsageError, BackupError, ApiCallError) are Errors too.
  else if (err instanceof Error && !(err instanceof TypeError) && !(err instanceof RangeError)) process.stderr.write(`postbridge: ${err.message}\n`)
  else process.stderr.write(`postbridge: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
  process.exit(1)
})
