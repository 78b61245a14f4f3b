{#- switchyard.kube-services: per app in pillar, its namespace and its two
    NodePort Services by the convention (<app>-blue on portBase, <app>-green
    on portBase + 1, each selecting `name: <app>-<colour>`), which
    switchyard's preflight checks before every deploy. Run where kubectl
    and a kubeconfig with rights on those namespaces exist (top.sls: the
    control-plane nodes), not on every node.

    Idempotent: the manifest is rendered to a file and applied only when
    `kubectl diff` finds a difference (exit 1) or cannot tell (exit > 1). -#}
{%- from 'switchyard/map.jinja' import switchyard, apps with context %}
{%- set kube = switchyard.kube %}
{%- set kubectl = 'kubectl --kubeconfig ' ~ kube.kubeconfig %}

switchyard-manifests-dir:
  file.directory:
    - name: {{ kube.manifests_dir }}
    - user: root
    - group: root
    - mode: '0750'
    - makedirs: True

{%- for app in apps %}
{%- set manifest = kube.manifests_dir ~ '/' ~ app.name ~ '-services.yaml' %}

switchyard-services-{{ app.name }}-manifest:
  file.managed:
    - name: {{ manifest }}
    - source: salt://switchyard/files/services.yaml.jinja
    - template: jinja
    - user: root
    - group: root
    - mode: '0640'
    - context:
        app: {{ app.name | json }}
        namespace: {{ app.namespace | json }}
        blue_port: {{ app.blue_port }}
        green_port: {{ app.green_port }}
        target_port: {{ app.target_port | json }}
    - require:
      - file: switchyard-manifests-dir

switchyard-services-{{ app.name }}:
  cmd.run:
    - name: {{ (kubectl ~ ' apply -f ' ~ manifest) | json }}
    - unless: {{ (kubectl ~ ' diff -f ' ~ manifest) | json }}
    - require:
      - file: switchyard-services-{{ app.name }}-manifest
{%- endfor %}
