# switchyard's pillar: copy under your pillar root (e.g. /srv/pillar/switchyard.sls)
# and target it at the same minions as the states, in the pillar top.sls:
#   base:
#     'G@roles:k8s-node or G@roles:k8s-control-plane':
#       - match: compound
#       - switchyard
# Keys mirror switchyard's own config where they mean the same thing
# (portBase, upstreamName); the rest are salt-only. Defaults are in
# salt/switchyard/map.jinja; a bad value stops the run naming the key.
switchyard:
  nginx:
    # Folder of the per-app upstream files. Must equal nginx.backendsDir in
    # switchyard's config. Default: /etc/nginx/backends.d
    backends_dir: /etc/nginx/backends.d
    # A folder nginx.conf includes inside http {} (`include .../*.conf;`):
    # switchyard-backends.conf goes there and includes backends_dir/*.conf.
    # Default: /etc/nginx/conf.d
    conf_dir: /etc/nginx/conf.d
    # Where each app's vhost <app>.conf goes (included inside http {}).
    # Default: /etc/nginx/conf.d
    vhost_dir: /etc/nginx/conf.d
    # nginx's test, dump and reload commands: what salt runs when a vhost
    # changes, and the only commands the deploy user may run as root (the
    # sudoers rule allows each by its exact text, so: an absolute path, and
    # none of , : = \ * ? [ ]). switchyard's config names the same three,
    # each after `sudo -n `:
    #   nginx: { testCommand: sudo -n /usr/sbin/nginx -t,
    #            dumpCommand: sudo -n /usr/sbin/nginx -T,
    #            reloadCommand: sudo -n /usr/bin/systemctl reload nginx }
    # Test: run before a reload; a failure stops it. Default: /usr/sbin/nginx -t
    test_command: /usr/sbin/nginx -t
    # Dump: prints the configuration nginx loads (switchyard checks that it
    # includes each app's upstream file). Default: /usr/sbin/nginx -T
    dump_command: /usr/sbin/nginx -T
    # Reload. Default: /usr/sbin/service nginx reload
    # (or: /usr/bin/systemctl reload nginx, /usr/sbin/nginx -s reload)
    reload_command: /usr/bin/systemctl reload nginx

  deploy_user:
    # switchyard's ssh.user (with ssh.sudo: false). It owns backends_dir and
    # may run as root only the three commands above. Default: deploy
    name: deploy
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

  # Every app switchyard switches: the same names, namespaces and portBase as
  # the apps in switchyard's config.
  apps:
    - # name: the app (lower-case letters, digits, "-"; required).
      name: blog
      # namespace: its Kubernetes namespace. Default: the app's name.
      namespace: blog
      # portBase: a multiple of ten, 30000-32760 (required). Blue's NodePort
      # is portBase (ends in 0), green's portBase + 1 (ends in 1).
      portBase: 30000
      # server_name: the vhost's server_name (required).
      server_name: blog.example.com
      # listen: the vhost's listen directive. Default: 80
      listen: 80
      # upstreamName: the nginx upstream's name; must equal the app's
      # upstreamName in switchyard's config. Default: <name>LB (blogLB).
      # upstreamName: blogLB
      # first_live: the colour live in an upstream file salt creates (only
      # when the file does not exist yet; an existing one is never
      # touched). Default: blue. When adding a node while the app runs on
      # green, set green first (`switchyard status blog` shows the live colour).
      # first_live: blue
      # target_port: the Services' targetPort (a container port name or
      # number). Default: http
      # target_port: http
    - name: www
      namespace: www
      portBase: 30010
      server_name: www.example.com
      listen: 80
