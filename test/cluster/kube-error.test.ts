import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { colourWatchError, kubeError, statusCode } from '../../src/cluster/kube-error.js';

const status = (code: number, reason: string, message: string) => ({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message });

describe('kubeError: what the Kubernetes API answered, never the raw body', () => {
  it.each<[string, unknown, number | undefined, string]>([
    ['an ApiException with its Status body', new ApiException(409, 'Conflict', JSON.stringify(status(409, 'AlreadyExists', 'replicasets.apps "blog-green" already exists')), {}), 409,
      'cannot create ReplicaSet blog/blog-green: the Kubernetes API answered 409 AlreadyExists: replicasets.apps "blog-green" already exists'],
    ['a watch the server refused', Object.assign(new Error('Forbidden'), { statusCode: 403 }), 403, 'cannot create ReplicaSet blog/blog-green: the Kubernetes API answered 403'],
    ['a watch stream ERROR event', status(500, 'InternalError', 'etcd is down'), 500, 'cannot create ReplicaSet blog/blog-green: the Kubernetes API answered 500 InternalError: etcd is down'],
    ['a network error', Object.assign(new Error('request to http://127.0.0.1:1/apis/apps/v1 failed, reason: connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), undefined,
      'cannot create ReplicaSet blog/blog-green: the Kubernetes API could not be reached (ECONNREFUSED): request to http://127.0.0.1:1/apis/apps/v1 failed, reason: connect ECONNREFUSED 127.0.0.1:1'],
    ['a request the client refused to send', new Error('HTTP protocol is not allowed when skipTLSVerify is not set or false'), undefined,
      'cannot create ReplicaSet blog/blog-green: the Kubernetes client did not send the request: HTTP protocol is not allowed when skipTLSVerify is not set or false'],
  ])('reads %s', (_what, err, code, message) => {
    expect(statusCode(err)).toBe(code);
    expect(kubeError(err, 'create', 'ReplicaSet blog/blog-green').message).toBe(message);
  });

  it('names the colour a list or watch was about', () => {
    expect(colourWatchError(status(403, 'Forbidden', 'pods is forbidden'), { app: 'blog', namespace: 'web', colour: 'green' })).toMatchObject({
      code: 'kube-api-failed',
      message: 'cannot watch ReplicaSet and pods of web/blog-green: the Kubernetes API answered 403 Forbidden: pods is forbidden',
      hint: expect.stringContaining('RBAC'),
    });
  });
});
