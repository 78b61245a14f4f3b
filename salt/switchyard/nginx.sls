{#- switchyard.nginx: a Kubernetes node's nginx, ready for switchyard.

    - nginx installed and running, the backends folder, and an include of
      backends.d/*.conf inside http {} (through conf.d, which the nginx.conf
      of Debian, Ubuntu and RHEL includes there);
    - per app in pillar: the upstream file <backends_dir>/<app>.conf,
      CREATE-ONLY, and the app's vhost;
    - each vhost put in place only with a passing nginx -t (never left
      behind failing it), then a reload, only when a vhost or the include
      changed.

    Create-only matters: after the first deploy switchyard owns the `down`
    flags in the upstream file, so a highstate must never rewrite it (that
    would send traffic back to blue, perhaps to a colour with no pods).
    The file is written once, with `first_live` (the app's live colour in
    the cluster, from `switchyard salt-pillar`) live, and
    never again while it exists. Changing the file's template changes only
    nodes that do not have it yet.

    The deploy user owns the backends folder and everything in it (the
    upstream files, and the staged file, backup, journal and lock switchyard
    keeps beside each), so switchyard needs root only for nginx's own
    commands (the narrow sudoers rule of switchyard.deploy-user). -#}
{%- from 'switchyard/map.jinja' import switchyard, apps with context %}
{%- set nginx = switchyard.nginx %}
{%- set deploy_user = switchyard.deploy_user.name %}

include:
  - switchyard.deploy-user

switchyard-nginx-pkg:
  pkg.installed:
    - name: nginx

switchyard-backends-dir:
  file.directory:
    - name: {{ nginx.backends_dir }}
    - user: {{ deploy_user | json }}
    - group: root
    - mode: '0755'
    # Also what an agent running as root (ssh.sudo: true) left there before.
    - recurse:
      - user
    - require:
      - pkg: switchyard-nginx-pkg
      - user: switchyard-deploy-user

switchyard-backends-include:
  file.managed:
    - name: {{ nginx.conf_dir }}/switchyard-backends.conf
    - source: salt://switchyard/files/backends-include.conf.jinja
    - template: jinja
    - user: root
    - group: root
    - mode: '0644'
    - context:
        conf_dir: {{ nginx.conf_dir | json }}
        backends_dir: {{ nginx.backends_dir | json }}
    - require:
      - file: switchyard-backends-dir

# Per app: the upstream file is create-only (replace: False), since
# switchyard owns its `down` flags. Creating it reloads nothing by itself:
# the vhost is created with it, and that reloads.
{%- for app in apps %}

switchyard-upstream-{{ app.name }}:
  file.managed:
    - name: {{ nginx.backends_dir }}/{{ app.name }}.conf
    - source: salt://switchyard/files/upstream.conf.jinja
    - template: jinja
    - replace: False
    - user: {{ deploy_user | json }}
    - group: root
    - mode: '0644'
    - context:
        app: {{ app.name | json }}
        upstream: {{ app.upstream | json }}
        blue_port: {{ app.blue_port }}
        green_port: {{ app.green_port }}
        blue_down: '{{ " down" if app.first_live == "green" else "" }}'
        green_down: '{{ " down" if app.first_live == "blue" else "" }}'
    - require:
      - file: switchyard-backends-dir

# The vhost is salt's: staged beside the live one (`<app>.conf.staged`, which
# the `*.conf` include does not match), and put in place only together with
# a passing `nginx -t` (install-checked.sh puts the previous one back
# otherwise). Until it passes, each highstate tries again.
switchyard-vhost-{{ app.name }}-staged:
  file.managed:
    - name: {{ nginx.vhost_dir }}/{{ app.name }}.conf.staged
    - source: salt://switchyard/files/vhost.conf.jinja
    - template: jinja
    - user: root
    - group: root
    - mode: '0644'
    - context:
        app: {{ app.name | json }}
        upstream: {{ app.upstream | json }}
        backends_dir: {{ nginx.backends_dir | json }}
        listen: {{ app.listen | string | json }}
        server_name: {{ app.server_name | json }}
        blue_port: {{ app.blue_port }}
        green_port: {{ app.green_port }}
        preview: {{ app.preview | json }}

switchyard-vhost-{{ app.name }}:
  cmd.script:
    - source: salt://switchyard/files/install-checked.sh
    - args: {{ (nginx.vhost_dir ~ '/' ~ app.name ~ '.conf.staged ' ~ nginx.vhost_dir ~ '/' ~ app.name ~ '.conf ' ~ nginx.test_command) | json }}
    - unless: {{ ('cmp -s ' ~ nginx.vhost_dir ~ '/' ~ app.name ~ '.conf.staged ' ~ nginx.vhost_dir ~ '/' ~ app.name ~ '.conf') | json }}
    - require:
      - file: switchyard-vhost-{{ app.name }}-staged
      # proxy_pass names the upstream, so nginx -t fails without it.
      - file: switchyard-upstream-{{ app.name }}
      - file: switchyard-backends-include
{%- endfor %}

# Running and enabled; started (if it was not) only once the files exist.
switchyard-nginx-service:
  service.running:
    - name: nginx
    - enable: True
    - require:
      - file: switchyard-backends-include
{%- for app in apps %}
      - cmd: switchyard-vhost-{{ app.name }}
{%- endfor %}

# The include changes only with backends_dir; a config that fails the test
# is not reloaded, and the state fails with nginx's message. (Each vhost is
# tested as it is put in place, above.)
switchyard-nginx-test:
  cmd.run:
    - name: {{ nginx.test_command | json }}
    - onchanges:
      - file: switchyard-backends-include

switchyard-nginx-reload:
  cmd.run:
    - name: {{ nginx.reload_command | json }}
    - onchanges:
      - file: switchyard-backends-include
{%- for app in apps %}
      - cmd: switchyard-vhost-{{ app.name }}
{%- endfor %}
    - require:
      - cmd: switchyard-nginx-test
      - service: switchyard-nginx-service
