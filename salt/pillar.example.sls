# switchyard's pillar: copy under your pillar root (e.g. /srv/pillar/switchyard.sls)
# and target it at the same minions as the states, in the pillar top.sls:
#   base:
#     'G@roles:k8s-node or G@roles:k8s-control-plane':
#       - match: compound
#       - switchyard
# `switchyard salt-pillar` fills in what switchyard's config already says
# (see apps: below); this file holds the rest. Defaults are in
# salt/switchyard/map.jinja; a bad value stops the run naming the key.
switchyard:
  # From `switchyard salt-pillar` (do not set them here): nginx.backends_dir
  # (nginx.backendsDir), nginx.test_command, dump_command and reload_command
  # (nginx.testCommand, ... without their `sudo -n `: what the sudoers rule
  # allows, so each must be an absolute path and its arguments, none of
  # , : = \ * ? [ ]), and deploy_user.name (ssh.user).
  nginx:
    # A folder nginx.conf includes inside http {} (`include .../*.conf;`):
    # switchyard-backends.conf goes there and includes backends_dir/*.conf.
    # Default: /etc/nginx/conf.d
    conf_dir: /etc/nginx/conf.d
    # Where each app's vhost <app>.conf goes (included inside http {}); salt
    # stages it there as <app>.conf.staged and puts it in place only if
    # `nginx -t` passes with it. Default: /etc/nginx/conf.d
    vhost_dir: /etc/nginx/conf.d

  deploy_user:
    # The public half of switchyard's ssh.privateKeyPath (required): the only
    # key accepted for this user.
    public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleExampleExampleExampleExampleExample switchyard@agent
    # Optional: accept the key only from these addresses (authorized_keys
    # from="..."): the agent's, comma-separated patterns. Default: any.
    allow_from: 10.0.0.0/16

  kube:
    # kubeconfig for kubectl on the control-plane minions.
    # Default: /etc/kubernetes/admin.conf
    kubeconfig: /etc/kubernetes/admin.conf
    # Where the rendered Service manifests are kept. Default: /etc/switchyard/services
    manifests_dir: /etc/switchyard/services

  # Every app switchyard switches, keyed by name. What switchyard's config
  # already says (namespace, portBase, upstreamName) and the colour a new
  # node starts on (first_live: the app's live colour recorded in the
  # cluster) come from `switchyard salt-pillar`, as an external pillar on the
  # master, so apps are described once and first_live is never stale:
  #   ext_pillar:
  #     - cmd_yaml: switchyard salt-pillar --config /etc/switchyard/switchyard.yaml
  # salt merges its `switchyard:apps:<name>` into the entries below. Here go
  # only what switchyard does not know: each app's vhost.
  apps:
    blog:
      # server_name: the vhost's server_name (required).
      server_name: blog.example.com
      # listen: the vhost's listen directive. Default: 80
      listen: 80
      # target_port: the Services' targetPort (a container port name or
      # number). Default: http
      # target_port: http
    www:
      server_name: www.example.com
      listen: 80
