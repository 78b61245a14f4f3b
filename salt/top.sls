# switchyard's states, by role grain. Set the grain on each minion, e.g.
#   salt 'node-*' grains.append roles k8s-node
#   salt 'cp-*'   grains.append roles k8s-control-plane
# (or target by your own grains/nodegroups: only the matchers below change).
base:
  # Every node that serves outside traffic: its nginx and the user
  # switchyard's agent logs in as.
  'roles:k8s-node':
    - match: grain
    - switchyard.deploy-user
    - switchyard.nginx
  # The NodePort Services are cluster objects: apply them from where kubectl
  # and an admin kubeconfig live, not from every node.
  'roles:k8s-control-plane':
    - match: grain
    - switchyard.kube-services
