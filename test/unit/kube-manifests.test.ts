import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { V1ConfigMap, V1Container, V1Deployment, V1RoleBinding, V1Secret, V1ServiceAccount } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config/load-config.js';
import { loadSecrets } from '../../src/config/load-secrets.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = join(root, 'deploy', 'kubernetes');
const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
const docs = <T>(name: string): T[] => parseAllDocuments(read(name)).map((d) => d.toJS() as T);

const configMap = parse(read('config-map.yaml')) as V1ConfigMap;
const deployment = parse(read('deployment.yaml')) as V1Deployment;
const secret = parse(read('secret.example.yaml')) as V1Secret;
const pod = deployment.spec!.template.spec!;
const container = pod.containers[0] as V1Container;
const mountOf = (volume: string): string => container.volumeMounts!.find((m) => m.name === volume)!.mountPath;
const env = Object.fromEntries(container.env!.map((e) => [e.name, e]));
const configFile = env.SWITCHYARD_CONFIG!.value!;
const config = parseConfig(configMap.data!['switchyard.yaml']!, configFile);

describe('deploy/kubernetes', () => {
  it('runs `switchyard serve` in two replicas under its service account, with the config from the ConfigMap', () => {
    expect(deployment.spec!.replicas).toBe(2);
    expect(container.args).toEqual(['serve']);
    expect(pod.serviceAccountName).toBe((parse(read('service-account.yaml')) as V1ServiceAccount).metadata!.name);
    const configVolume = pod.volumes!.find((v) => v.name === 'config')!;
    expect(configVolume.configMap!.name).toBe(configMap.metadata!.name);
    expect(posix.dirname(configFile)).toBe(mountOf('config'));
    expect(Object.keys(configMap.data!)).toContain(posix.basename(configFile));
  });

  it('has a config for running in the cluster: the service account, the API where probes reach it', () => {
    expect(config.kubernetes).toEqual({ inCluster: true });
    expect(config.api).toMatchObject({ enabled: true, host: '0.0.0.0' });
    const port = container.ports!.find((p) => p.name === 'api')!;
    expect(port.containerPort).toBe(config.api.port);
    expect(container.livenessProbe!.httpGet).toEqual({ path: '/healthz', port: 'api' });
    expect(container.readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 'api' });
  });

  it('mounts every file the config names: the app templates from the ConfigMap, the SSH key and known_hosts from the Secret', () => {
    for (const app of config.apps.filter((a) => a.template)) {
      expect(posix.dirname(app.template!)).toBe(mountOf('config'));
      expect(configMap.data![posix.basename(app.template!)]).toBe(readFileSync(join(root, 'config', 'apps', posix.basename(app.template!)), 'utf8'));
    }
    const ssh = pod.volumes!.find((v) => v.name === 'ssh')!.secret!;
    expect(ssh.secretName).toBe(secret.metadata!.name);
    const files = ssh.items!.map((i) => posix.join(mountOf('ssh'), i.path));
    expect(files).toEqual([config.ssh.privateKeyPath, config.ssh.knownHostsPath]);
    for (const item of ssh.items!) expect(Object.keys(secret.stringData!)).toContain(item.key);
  });

  it('hands the agent its tokens from the Secret, under the names it reads', () => {
    const fromSecret = container.env!.filter((e) => e.valueFrom?.secretKeyRef);
    for (const e of fromSecret) expect(e.valueFrom!.secretKeyRef).toEqual({ name: secret.metadata!.name, key: e.name });
    const agentEnv = Object.fromEntries(fromSecret.map((e) => [e.name, secret.stringData![e.name]!]));
    const secrets = loadSecrets(config, agentEnv);
    expect(secrets.slack).toEqual({ botToken: secret.stringData!.SLACK_BOT_TOKEN, appToken: secret.stringData!.SLACK_APP_TOKEN });
    expect(secrets.apiTokens.map((t) => t.name)).toEqual(['ci']);
  });

  it('runs as the unprivileged user the image names, with nothing to escalate to', () => {
    const dockerUser = /^USER (\d+):(\d+)$/m.exec(readFileSync(join(root, 'Dockerfile'), 'utf8'))!;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: Number(dockerUser[1]), runAsGroup: Number(dockerUser[2]) });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  });

  it('binds the rules in every namespace of an app in the config', () => {
    const bindings = docs<V1RoleBinding & { kind: string }>('rbac.yaml').filter((d) => d.kind === 'RoleBinding' && d.roleRef.kind === 'ClusterRole');
    expect(bindings.map((b) => b.metadata!.namespace).sort()).toEqual([...new Set(config.apps.map((a) => a.namespace))].sort());
  });

  it('lists every manifest in kustomization.yaml except the Secret, and kubectl builds it', async () => {
    const listed = (parse(read('kustomization.yaml')) as { resources: string[] }).resources;
    const manifests = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml' && f !== 'secret.example.yaml');
    expect([...listed].sort()).toEqual(manifests.sort());
    const { stdout } = await promisify(execFile)('kubectl', ['kustomize', dir]);
    const kinds = parseAllDocuments(stdout).map((d) => (d.toJS() as { kind: string }).kind);
    expect(kinds).toEqual(expect.arrayContaining(['Namespace', 'ServiceAccount', 'ClusterRole', 'RoleBinding', 'ConfigMap', 'Deployment', 'Service', 'PodDisruptionBudget']));
    expect(kinds).not.toContain('Secret');
  });
});
