import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { SwitchyardError } from '../errors/switchyard-error.js';
import { Config } from './schema.js';

export const CONFIG_ENV = 'SWITCHYARD_CONFIG';
export const DEFAULT_CONFIG_PATH = 'config/switchyard.yaml';

/** Where the config lives: the flag, else $SWITCHYARD_CONFIG, else the default. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag ?? env[CONFIG_ENV] ?? DEFAULT_CONFIG_PATH;
}

/**
 * Reads and validates the YAML config once. Every problem is reported at
 * once, each naming the file, the key path and what was expected.
 *
 * @example
 * const config = await loadConfig('config/switchyard.yaml');
 */
export async function loadConfig(path: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SwitchyardError('config-missing', `cannot read config ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`, {
      hint: `pass --config FILE or set ${CONFIG_ENV}; config/switchyard.example.yaml documents every key`,
      cause: err,
    });
  }
  return parseConfig(text, path);
}

export function parseConfig(text: string, path: string): Config {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const where = e.linePos?.[0] ? `:${e.linePos[0].line}:${e.linePos[0].col}` : '';
    throw new SwitchyardError('config-invalid', `${path}${where}: YAML syntax error: ${e.message.split('\n')[0]}`, {
      hint: 'fix the YAML syntax',
    });
  }
  const result = Config.safeParse(doc.toJS());
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${path}: ${formatPath(i.path)}: ${describeIssue(i)}`);
    throw new SwitchyardError('config-invalid', problems.join('\n'), {
      hint: 'see config/switchyard.example.yaml for every key',
      details: { problems },
    });
  }
  return resolvePaths(result.data, dirname(resolve(path)));
}

function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return `required (${issue.expected})`;
  return issue.message;
}

const expandHome = (p: string): string => (p === '~' || p.startsWith('~/') ? homedir() + p.slice(1) : p);

/** Key and template paths are relative to the config file, so a config can move with its files. */
function resolvePaths(config: Config, base: string): Config {
  const at = (p: string): string => resolve(base, expandHome(p));
  return {
    ...config,
    ssh: { ...config.ssh, privateKeyPath: at(config.ssh.privateKeyPath), knownHostsPath: at(config.ssh.knownHostsPath) },
    kubernetes: config.kubernetes.kubeconfig ? { ...config.kubernetes, kubeconfig: at(config.kubernetes.kubeconfig) } : config.kubernetes,
    apps: config.apps.map((a) => (a.template ? { ...a, template: at(a.template) } : a)),
  };
}
