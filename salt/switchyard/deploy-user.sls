{#- switchyard.deploy-user: the user switchyard's agent logs in as (config
    ssh.user), with only switchyard's key and the narrow sudoers rule: as
    root it may run exactly nginx's test, dump and reload commands (pillar
    switchyard:nginx), nothing else. It owns the backends folder
    (switchyard.nginx), so switchyard's scripts run as this user (ssh.sudo:
    false in its config). sudo -n fails at once rather than waiting for a
    password, so the rule is NOPASSWD and the user has no password at all. -#}
{%- from 'switchyard/map.jinja' import switchyard with context %}
{%- set user = switchyard.deploy_user %}
{%- if not user.public_key %}
{{- raise('switchyard pillar: deploy_user.public_key: required (the public half of ssh.privateKeyPath)') }}
{%- endif %}

switchyard-deploy-user:
  user.present:
    - name: {{ user.name | json }}
    - shell: /bin/sh
    - createhome: True
    # No password that could ever match: key authentication only. '*' rather
    # than the locked '!' useradd writes, which sshd without PAM treats as a
    # locked account and refuses even with a valid key.
    - password: '*'

# Exactly switchyard's key, nothing else (a rotated key replaces the old
# one). The agent runs commands only: no forwarding, no pty.
switchyard-deploy-key:
  ssh_auth.manage:
    - user: {{ user.name | json }}
    - ssh_keys:
      - {{ user.public_key | json }}
    - options:
      - no-port-forwarding
      - no-agent-forwarding
      - no-X11-forwarding
      - no-pty
{%- if user.allow_from %}
      - {{ ('from="' ~ user.allow_from ~ '"') | json }}
{%- endif %}
    - require:
      - user: switchyard-deploy-user

switchyard-deploy-sudoers:
  file.managed:
    - name: /etc/sudoers.d/switchyard
    - source: salt://switchyard/files/sudoers.jinja
    - template: jinja
    - user: root
    - group: root
    - mode: '0440'
    # A broken sudoers file would lock out every sudo user: check it first.
    - check_cmd: /usr/sbin/visudo -c -f
    - context:
        user: {{ user.name | json }}
        test_command: {{ switchyard.nginx.test_command | json }}
        dump_command: {{ switchyard.nginx.dump_command | json }}
        reload_command: {{ switchyard.nginx.reload_command | json }}
    - require:
      - user: switchyard-deploy-user
