"""Loaded by moto_server when local/moto-server.ts starts it with LKR_MOTO_QUARANTINE_V4=true.

moto 5 ships AWS's managed policies up to AWSCompromisedKeyQuarantineV3. AWS published
AWSCompromisedKeyQuarantineV4 on 2026-11-06, and it is the responder's default quarantine policy.
This adds it to moto's AWS managed policies, so `npm start`, the benchmarks and the integration
tests attach it as AWS would. Its document is a copy of V3's: moto enforces no policy, so only its
existence and ARN matter here. Without the variable moto stays as shipped (a partition without V4).
"""

import json
import os

if os.environ.get("LKR_MOTO_QUARANTINE_V4") == "true":
    import moto.iam.models as _models

    _policies = json.loads(_models.aws_managed_policies_data)
    if "AWSCompromisedKeyQuarantineV4" not in _policies:
        _v4 = dict(_policies["AWSCompromisedKeyQuarantineV3"])
        _v4.update(
            {"CreateDate": "2026-11-06T00:00:00+00:00", "UpdateDate": "2026-11-06T00:00:00+00:00", "DefaultVersionId": "v1"}
        )
        _policies["AWSCompromisedKeyQuarantineV4"] = _v4
        _models.aws_managed_policies_data = json.dumps(_policies)
