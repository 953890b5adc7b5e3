"""Written, per-resource suppressions for checkov and cfn-lint.

A suppression lives in the resource's CloudFormation Metadata, next to the resource, with its
reason: checkov reads ``Metadata.checkov.skip[].{id, comment}``, cfn-lint reads
``Metadata.cfn-lint.config.ignore_checks``. tests/infra/cdk checks that every checkov skip
carries a reason.
"""

from __future__ import annotations

from aws_cdk import CfnResource
from constructs import IConstruct


def _cfn(construct: IConstruct) -> CfnResource:
    if isinstance(construct, CfnResource):
        return construct
    child = construct.node.default_child
    if not isinstance(child, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource")
    return child


def checkov_skip(construct: IConstruct, **reasons: str) -> None:
    """``checkov_skip(bucket, CKV_AWS_18="why")``: one keyword per check, the reason its value."""
    resource = _cfn(construct)
    existing = resource.get_metadata("checkov") or {"skip": []}
    for check_id, comment in reasons.items():
        if not comment.strip():
            raise ValueError(f"{check_id}: a suppression needs a reason")
        existing["skip"].append({"id": check_id, "comment": comment})
    resource.add_metadata("checkov", existing)


def cfn_lint_ignore(construct: IConstruct, *rules: str) -> None:
    resource = _cfn(construct)
    existing = resource.get_metadata("cfn-lint") or {"config": {"ignore_checks": []}}
    existing["config"]["ignore_checks"].extend(rules)
    resource.add_metadata("cfn-lint", existing)
