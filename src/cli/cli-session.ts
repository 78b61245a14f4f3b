import { pino } from 'pino';
import { createAgent, type Agent, type AgentOptions } from '../agent/create-agent.js';
import { configPath, loadConfig } from '../config/load-config.js';
import type { AppConfig, Config } from '../config/schema.js';
import type { DeployEventListener } from '../deploy/deploy-event.js';
import type { Clock } from '../deploy/ports.js';
import { systemClock } from '../deploy/system-clock.js';
import { asSwitchyardError, SwitchyardError } from '../errors/switchyard-error.js';
import type { Logger } from '../log/logger.js';
import type { Actor, Phase } from '../state/app-state.js';
import { checkAppName } from '../validate/patterns.js';
import type { CliIo } from './cli-io.js';
import { exitCodeFor, type ExitCode } from './exit-codes.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The options every command takes. */
export interface GlobalOptions {
  config?: string;
  json?: boolean;
  logLevel?: LogLevel;
}

/**
 * One command's run: its output channels, the structured log, the actor, and
 * the agents it built (closed when the command ends, whatever happens).
 * People get plain lines on stdout (or JSON with --json) and one line per
 * failure on stderr; the full detail goes to the log, which stays quiet
 * unless --log-level is given or the command is `serve`.
 *
 * @example
 * const session = new CliSession(io, { json: true }, { logByDefault: false });
 * const config = await session.config();
 * const agent = await session.agent(config, { apps: [session.app(config, 'blog')] });
 * session.json(await agent.service.status('blog'));
 */
export class CliSession {
  readonly io: CliIo;
  readonly isJson: boolean;
  readonly log: Logger;
  readonly actor: Actor;
  readonly clock: Clock;
  /** Never aborts when the caller gave no signal. */
  readonly signal: AbortSignal;
  /** The phase each deploy this process runs is in, from its events (see eventOutput). */
  readonly phases = new Map<string, Phase>();
  private readonly options: GlobalOptions;
  private readonly agents: Agent[] = [];

  constructor(io: CliIo, options: GlobalOptions, defaults: { logByDefault: boolean }) {
    this.io = io;
    this.options = options;
    this.isJson = options.json === true;
    this.clock = io.clock ?? systemClock;
    this.signal = io.signal ?? new AbortController().signal;
    const level = options.logLevel ?? (defaults.logByDefault ? 'info' : 'silent');
    // pino writes to the io's stderr (not fd 2) so tests capture it too.
    this.log = pino({ level, enabled: level !== 'silent' }, { write: (s: string) => void io.stderr.write(s) });
    this.actor = { via: 'cli', id: io.env.USER || io.env.LOGNAME || 'cli' };
  }

  /** A line for people; nothing with --json. */
  say(text: string): void {
    if (!this.isJson) this.io.stdout.write(`${text}\n`);
  }

  /** One JSON document, or one JSON line of a stream (events); only with --json. */
  json(value: unknown): void {
    if (this.isJson) this.io.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** One line on stderr (whatever the output mode): for failures and for what a person must know. */
  warn(text: string): void {
    this.io.stderr.write(`${text.replace(/\s*\n\s*/g, '; ')}\n`);
  }

  config(): Promise<Config> {
    return loadConfig(configPath(this.options.config, this.io.env));
  }

  /** The app's config; an app the config does not name is bad input (nothing was touched). */
  app(config: Config, name: string): AppConfig {
    const found = config.apps.find((a) => a.name === name);
    if (!found) {
      throw new SwitchyardError('app-unknown', `unknown app "${name}"`, {
        hint: `known apps: ${config.apps.map((a) => a.name).join(', ')}`,
      });
    }
    return found;
  }

  /** Builds an agent limited to `apps` (all by default), so a command about one app resumes or reads no other. */
  async agent(config: Config, options: { apps?: AppConfig[]; onEvent?: DeployEventListener; ec2?: AgentOptions['ec2'] } = {}): Promise<Agent> {
    const agent = await createAgent(
      { ...config, apps: options.apps ?? config.apps },
      { log: this.log, ...(options.onEvent ? { onEvent: options.onEvent } : {}), ...(options.ec2 ? { ec2: options.ec2 } : {}) },
    );
    this.agents.push(agent);
    return agent;
  }

  /**
   * The apps a command about "one app, or every app" reads (`name`, checked
   * as input, or all in the config) and an agent limited to them.
   */
  async appsAgent(name: string | undefined): Promise<{ apps: AppConfig[]; agent: Agent }> {
    if (name !== undefined) checkAppName(name);
    const config = await this.config();
    const apps = name === undefined ? config.apps : [this.app(config, name)];
    return { apps, agent: await this.agent(config, { apps }) };
  }

  /**
   * The config, the app a command names, and an agent limited to that app:
   * what every single-app command starts with (after checking its input).
   */
  async appAgent(name: string, options: { onEvent?: DeployEventListener } = {}): Promise<{ config: Config; app: AppConfig; agent: Agent }> {
    const config = await this.config();
    const app = this.app(config, name);
    return { config, app, agent: await this.agent(config, { apps: [app], ...options }) };
  }

  /** Marks work a second Ctrl-C must not cut short; call the answer when it has ended. */
  holdExit(what: string): () => void {
    return this.io.holdExit?.(what) ?? (() => undefined);
  }

  /**
   * Closes an agent: its runners stop where they are, their deploys stay
   * recorded in flight. A switch under way finishes first (Agent.close waits
   * for its runners, since a switch half done is worse than one finished);
   * while it does, this says so and a second Ctrl-C waits too, a third quits.
   */
  async closeAgent(agent: Agent): Promise<void> {
    const index = this.agents.indexOf(agent);
    if (index >= 0) this.agents.splice(index, 1);
    const switching = [...this.phases].filter(([, phase]) => phase === 'switching').map(([id]) => id);
    let release: (() => void) | undefined;
    if (switching.length > 0) {
      this.warn(`finishing the switch of ${switching.join(', ')} before stopping`);
      release = this.holdExit(`finishing the switch of ${switching.join(', ')}`);
    }
    try {
      await agent.close();
    } catch (err) {
      this.log.warn({ err }, 'closing the agent failed');
    } finally {
      release?.();
    }
  }

  /** Closes every agent this command built. */
  async close(): Promise<void> {
    await Promise.all([...this.agents].map((a) => this.closeAgent(a)));
  }

  /** Reports a failure: one line on stderr, the JSON body with --json, the detail in the log; returns the exit code. */
  fail(err: unknown): ExitCode {
    const e = asSwitchyardError(err);
    // The error itself, not only its cause: pino prints its message and stack followed by each cause's.
    this.log.error({ code: e.code, details: e.details, err: e }, e.message);
    this.warn(`error: ${e.toLine()}`);
    this.json(e.toJSON());
    return exitCodeFor(e);
  }
}
