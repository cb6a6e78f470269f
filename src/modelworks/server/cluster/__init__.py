"""``modelworks serve --ray``: the same app on a Ray cluster (Ray Serve replicas, Ray tasks).

``forward`` calls an app in-process with a request that crossed a Ray handle; ``routing`` says
which service's deployment owns a path; ``deployments`` holds the Ray Serve deployments
(one per service, one ingress); ``training`` runs a training job as a Ray task; ``launch``
starts it all from the CLI. Ray is imported only here (the optional extra ``modelworks[ray]``).
"""
