import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.js';
import { sudoersRule } from '../../src/fleet/sudoers-rule.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** Every source file outside the sandbox (its EC2 stand-in speaks the whole API, the agent does not). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'sandbox' ? [] : sources(join(dir, e.name))) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('deploy/aws/iam-policy.json', () => {
  it('allows exactly the EC2 calls the agent makes: DescribeInstances', () => {
    const policy = JSON.parse(read('deploy/aws/iam-policy.json')) as { Statement: { Effect: string; Action: string | string[]; Resource: string }[] };
    expect(policy.Statement.flatMap((s) => [s.Action].flat().map((a) => `${s.Effect} ${a}`))).toEqual(['Allow ec2:DescribeInstances']);
    // The operations behind what the code imports from the SDK, statically or when first needed: `paginateDescribeInstances`, `DescribeInstancesCommand`.
    const imported = sources(join(root, 'src')).flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/(?:import|const) \{([^}]*)\} (?:from |= await import\()'@aws-sdk\/client-ec2'/g)].flatMap((m) => m[1]!.split(',').map((n) => n.trim())),
    );
    const operations = imported.filter((n) => n && !n.startsWith('type ') && n !== 'EC2Client').map((n) => n.replace(/^paginate/, '').replace(/Command$/, ''));
    expect(imported).toContain('EC2Client');
    expect([...new Set(operations)]).toEqual(['DescribeInstances']);
  });
});

describe('deploy/nodes/sudoers-switchyard', () => {
  const text = read('deploy/nodes/sudoers-switchyard');

  it('is the narrow rule switchyard renders for the example config\'s user and nginx commands', () => {
    const config = parseConfig(read('config/switchyard.example.yaml'), join(root, 'config', 'switchyard.example.yaml'));
    const commands = [config.nginx.testCommand, config.nginx.dumpCommand, config.nginx.reloadCommand].map((c) => c.replace(/^sudo -n /, ''));
    expect(config.ssh.sudo).toBe(false);
    expect(text.replace(/^#.*\n/gm, '')).toBe(sudoersRule(config.ssh.user, commands));
  });

  it('passes visudo', async () => {
    await expect(promisify(execFile)('visudo', ['-c', '-f', join(root, 'deploy', 'nodes', 'sudoers-switchyard')])).resolves.toBeDefined();
  });
});
