"""Least privilege, checked on the synthesised templates: no wildcard in any action, resources
scoped to the stack's own ARNs except where AWS supports no resource-level permission, and the
exact set of actions each role may use (a new permission must be added here on purpose)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import GITHUB_STACK, MAIN_STACK, Synth, resources

# Actions that AWS authorises only on Resource "*" (no resource types in the service
# authorization reference), and why each role needs them.
STAR_RESOURCE_ALLOWED = {
    # Textract has no resource-level permissions.
    "textract:AnalyzeExpense",
    "textract:DetectDocumentText",
    "textract:StartExpenseAnalysis",
    "textract:GetExpenseAnalysis",
    "textract:StartDocumentTextDetection",
    "textract:GetDocumentTextDetection",
    # Session Manager (instead of SSH), as AWS documents its minimal instance policy.
    "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
    # SSM Agent's Run Command channel (the host's deploy document).
    "ec2messages:AcknowledgeMessage",
    "ec2messages:DeleteMessage",
    "ec2messages:FailMessage",
    "ec2messages:GetEndpoint",
    "ec2messages:GetMessages",
    "ec2messages:SendReply",
    # The CD reading its deploy command's result; CodeDeploy reading its alarms.
    "ssm:GetCommandInvocation",
    "cloudwatch:DescribeAlarms",
    # Lambda attaching to the VPC: Describe* calls have no resource types.
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
}

HOST_ACTIONS = {
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "s3:PutObject",
    "s3:GetObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "sqs:SendMessage",
    "sqs:GetQueueUrl",
    "sqs:GetQueueAttributes",
    "secretsmanager:GetSecretValue",
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "ssm:GetParameter",
    "bedrock:InvokeModel",
    "bedrock:GetFoundationModel",
    "bedrock:GetInferenceProfile",
    "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
    "ec2messages:AcknowledgeMessage",
    "ec2messages:DeleteMessage",
    "ec2messages:FailMessage",
    "ec2messages:GetEndpoint",
    "ec2messages:GetMessages",
    "ec2messages:SendReply",
}
PROCESSOR_ACTIONS = {
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:ListBucket",
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "textract:AnalyzeExpense",
    "textract:DetectDocumentText",
    "textract:StartExpenseAnalysis",
    "textract:GetExpenseAnalysis",
    "textract:StartDocumentTextDetection",
    "textract:GetDocumentTextDetection",
    "bedrock:InvokeModel",
    "bedrock:GetFoundationModel",
    "bedrock:GetInferenceProfile",
    "secretsmanager:GetSecretValue",
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def identity_statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(logical id, statement) of every identity policy: AWS::IAM::Policy and inline role
    policies (resource policies such as bucket, queue and key policies are not identity)."""
    found: list[tuple[str, dict[str, Any]]] = []
    for lid, res in template["Resources"].items():
        props = res.get("Properties", {})
        if res["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            found += [(lid, s) for s in props["PolicyDocument"]["Statement"]]
        elif res["Type"] == "AWS::IAM::Role":
            for policy in props.get("Policies", []):
                found += [(lid, s) for s in policy["PolicyDocument"]["Statement"]]
    return found


def role_actions(template: dict[str, Any], role_prefix: str) -> set[str]:
    """Every action granted to the role whose logical id starts with ``role_prefix``."""
    actions: set[str] = set()
    for res in resources(template, "AWS::IAM::Policy").values():
        roles = json.dumps(res["Properties"].get("Roles", []))
        if f'"{role_prefix}' in roles:
            for statement in res["Properties"]["PolicyDocument"]["Statement"]:
                actions.update(as_list(statement["Action"]))
    return actions


def statements_of(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for res in resources(template, "AWS::IAM::Policy").values():
        if f'"{role_prefix}' in json.dumps(res["Properties"].get("Roles", [])):
            out += res["Properties"]["PolicyDocument"]["Statement"]
    return out


@pytest.fixture(scope="module", params=[MAIN_STACK, GITHUB_STACK])
def any_template(request: pytest.FixtureRequest, templates: dict[str, dict[str, Any]]) -> Any:
    return templates[request.param]


class TestEveryPolicy:
    def test_no_action_has_a_wildcard(self, any_template: dict[str, Any]) -> None:
        for lid, statement in identity_statements(any_template):
            for action in as_list(statement["Action"]):
                assert "*" not in action, f"{lid}: {action}"

    def test_only_allow_statements_and_no_not_action(self, any_template: dict[str, Any]) -> None:
        for lid, statement in identity_statements(any_template):
            assert statement["Effect"] == "Allow", lid
            assert "NotAction" not in statement and "NotResource" not in statement, lid

    def test_star_resource_only_where_aws_allows_nothing_narrower(
        self, any_template: dict[str, Any]
    ) -> None:
        for lid, statement in identity_statements(any_template):
            if "*" in as_list(statement["Resource"]):
                extra = set(as_list(statement["Action"])) - STAR_RESOURCE_ALLOWED
                assert not extra, f"{lid}: {sorted(extra)} on Resource '*'"

    def test_no_managed_policies(self, any_template: dict[str, Any]) -> None:
        for lid, res in resources(any_template, "AWS::IAM::Role").items():
            assert not res["Properties"].get("ManagedPolicyArns"), lid

    def test_kms_use_goes_through_our_services(self, templates: dict[str, dict[str, Any]]) -> None:
        for prefix in ("HostRole", "ProcessorRole"):
            for statement in statements_of(templates[MAIN_STACK], prefix):
                if statement.get("Sid") == "UseDataKeyThroughServices":
                    assert "kms:ViaService" in json.dumps(statement["Condition"])


class TestHostRole:
    def test_exact_actions(self, templates: dict[str, dict[str, Any]]) -> None:
        assert role_actions(templates[MAIN_STACK], "HostRole") == HOST_ACTIONS

    def test_raw_objects_under_users_prefix_only(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        for statement in statements_of(templates[MAIN_STACK], "HostRole"):
            if "s3:PutObject" in as_list(statement["Action"]):
                text = json.dumps(statement["Resource"])
                assert "RawBucket" in text and "/users/*" in text
                assert "ProcessedBucket" not in text, "the host never writes results"

    def test_erases_versions_only_of_the_product_objects(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        template = templates[MAIN_STACK]
        statements = statements_of(template, "HostRole")
        erase = [s for s in statements if "s3:DeleteObjectVersion" in as_list(s["Action"])]
        resources_ = [json.dumps(r) for s in erase for r in as_list(s["Resource"])]
        assert len(resources_) == 4
        assert any("RawBucket" in r and "/users/*" in r for r in resources_)
        assert any("ProcessedBucket" in r and "/processed/*" in r for r in resources_)
        assert any("ProcessedBucket" in r and "/ocr-cache/*" in r for r in resources_)
        assert any("ProcessedBucket" in r and "/thumbnails/*" in r for r in resources_)
        (listing,) = [s for s in statements if "s3:ListBucketVersions" in as_list(s["Action"])]
        assert listing["Action"] == "s3:ListBucketVersions"
        buckets = [json.dumps(r) for r in as_list(listing["Resource"])]
        assert len(buckets) == 2 and all("/" not in r.split("Arn")[-1] for r in buckets)
        assert any("RawBucket" in r for r in buckets)
        assert any("ProcessedBucket" in r for r in buckets)

    def test_processor_never_erases_versions(self, templates: dict[str, dict[str, Any]]) -> None:
        actions = role_actions(templates[MAIN_STACK], "ProcessorRole")
        assert not {"s3:DeleteObjectVersion", "s3:ListBucketVersions"} & actions

    def test_sends_but_never_consumes_jobs(self, templates: dict[str, dict[str, Any]]) -> None:
        actions = role_actions(templates[MAIN_STACK], "HostRole")
        assert "sqs:SendMessage" in actions
        for statement in statements_of(templates[MAIN_STACK], "HostRole"):
            if {"sqs:ReceiveMessage", "sqs:DeleteMessage"} & set(as_list(statement["Action"])):
                text = json.dumps(statement["Resource"])
                assert "DeadLetter" in text or "Dlq" in text, "only the DLQ, for redrive"

    def test_reads_only_the_stack_secrets(self, templates: dict[str, dict[str, Any]]) -> None:
        (statement,) = [
            s
            for s in statements_of(templates[MAIN_STACK], "HostRole")
            if s["Action"] == "secretsmanager:GetSecretValue"
        ]
        refs = [r["Ref"] for r in as_list(statement["Resource"])]
        assert len(refs) == 5 and all(isinstance(r, str) for r in refs)

    def test_bedrock_only_on_the_one_model(self, templates: dict[str, dict[str, Any]]) -> None:
        (statement,) = [
            s
            for s in statements_of(templates[MAIN_STACK], "HostRole")
            if "bedrock:InvokeModel" in as_list(s["Action"])
        ]
        assert statement["Sid"] == "BedrockQuestionModel"
        assert statement["Action"] == "bedrock:InvokeModel", "no other Bedrock action"
        profile, model = as_list(statement["Resource"])
        # The cross-region inference profile in this region, and the foundation model in the
        # regions it routes to.
        assert "inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0" in json.dumps(
            profile
        )
        assert json.dumps(model).endswith(
            ':bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0"]]}'
        )

    def test_lifecycle_check_reads_only_the_one_model(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        for role in ("HostRole", "ProcessorRole"):
            (statement,) = [
                s
                for s in statements_of(templates[MAIN_STACK], role)
                if s.get("Sid") == "BedrockModelLifecycle"
            ]
            assert set(as_list(statement["Action"])) == {
                "bedrock:GetFoundationModel",
                "bedrock:GetInferenceProfile",
            }
            text = json.dumps(statement["Resource"])
            assert "claude-haiku-4-5-20251001-v1:0" in text and "/*" not in text

    def test_one_model_setting_for_questions_and_receipts(self, synth: Synth) -> None:
        template = synth(bedrockModelId="eu.anthropic.claude-haiku-4-5-20251001-v1:0")[MAIN_STACK]
        for role in ("HostRole", "ProcessorRole"):
            (statement,) = [
                s for s in statements_of(template, role) if s["Action"] == "bedrock:InvokeModel"
            ]
            resources_ = as_list(statement["Resource"])
            assert len(resources_) == 2
            text = json.dumps(resources_)
            assert "inference-profile/eu.anthropic.claude-haiku-4-5-20251001-v1:0" in text
            assert "foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0" in text

    def test_a_foundation_model_id_grants_that_model_in_this_region_only(
        self, synth: Synth
    ) -> None:
        template = synth(bedrockModelId="amazon.nova-micro-v1:0")[MAIN_STACK]
        (statement,) = [
            s for s in statements_of(template, "HostRole") if s["Action"] == "bedrock:InvokeModel"
        ]
        (resource,) = as_list(statement["Resource"])
        text = json.dumps(resource)
        assert "foundation-model/amazon.nova-micro-v1:0" in text
        assert "*" not in text and "inference-profile" not in text

    def test_rules_reader_gets_no_bedrock(self, synth: Synth) -> None:
        template = synth(questionReader="rules")[MAIN_STACK]
        assert role_actions(template, "HostRole") == HOST_ACTIONS - {
            "bedrock:InvokeModel",
            "bedrock:GetFoundationModel",
            "bedrock:GetInferenceProfile",
        }


class TestProcessorRole:
    def test_exact_actions(self, templates: dict[str, dict[str, Any]]) -> None:
        assert role_actions(templates[MAIN_STACK], "ProcessorRole") == PROCESSOR_ACTIONS

    def test_reads_raw_writes_processed(self, templates: dict[str, dict[str, Any]]) -> None:
        for statement in statements_of(templates[MAIN_STACK], "ProcessorRole"):
            actions = set(as_list(statement["Action"]))
            text = json.dumps(statement["Resource"])
            if "s3:PutObject" in actions:
                assert "ProcessedBucket" in text and "RawBucket" not in text
            if statement.get("Sid") == "ReadRaw":
                assert actions == {"s3:GetObject"} and "/users/*" in text

    def test_bedrock_only_on_the_configured_model(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        (statement,) = [
            s
            for s in statements_of(templates[MAIN_STACK], "ProcessorRole")
            if s["Action"] == "bedrock:InvokeModel"
        ]
        text = json.dumps(statement["Resource"])
        assert "inference-profile/us.anthropic.claude-haiku-4-5-20251001-v1:0" in text
        assert "foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0" in text

    def test_inference_profile_model_grants_profile_and_model(self, synth: Synth) -> None:
        template = synth(bedrockModelId="us.anthropic.claude-3-5-haiku-20241022-v1:0")[MAIN_STACK]
        (statement,) = [
            s
            for s in statements_of(template, "ProcessorRole")
            if s["Action"] == "bedrock:InvokeModel"
        ]
        text = json.dumps(statement["Resource"])
        assert "inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0" in text
        assert "foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0" in text

    def test_reads_only_the_callback_secret(self, templates: dict[str, dict[str, Any]]) -> None:
        (statement,) = [
            s
            for s in statements_of(templates[MAIN_STACK], "ProcessorRole")
            if s["Action"] == "secretsmanager:GetSecretValue"
        ]
        assert statement["Resource"] == {
            "Ref": next(
                k for k in templates[MAIN_STACK]["Resources"] if k.startswith("CallbackKey")
            )
        }

    def test_logs_only_to_its_log_group(self, templates: dict[str, dict[str, Any]]) -> None:
        for statement in statements_of(templates[MAIN_STACK], "ProcessorRole"):
            if "logs:PutLogEvents" in as_list(statement["Action"]):
                assert "ProcessorLogs" in json.dumps(statement["Resource"])


class TestGitHubRoles:
    def trust(self, template: dict[str, Any], prefix: str) -> dict[str, Any]:
        roles = resources(template, "AWS::IAM::Role")
        role = next(r for k, r in roles.items() if k.startswith(prefix))
        (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        return statement

    @pytest.mark.parametrize(
        ("prefix", "subject"),
        [
            ("InfraDiffRole", "repo:example-org/receiptsnap:pull_request"),
            ("InfraDeployRole", "repo:example-org/receiptsnap:environment:production"),
            ("LambdaDeployRole", "repo:example-org/receiptsnap:environment:production"),
            ("HostDeployRole", "repo:example-org/receiptsnap:environment:production"),
        ],
    )
    def test_trusted_only_by_this_repository_in_one_context(
        self, templates: dict[str, dict[str, Any]], prefix: str, subject: str
    ) -> None:
        statement = self.trust(templates[GITHUB_STACK], prefix)
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Condition"] == {
            "StringEquals": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": subject,
            }
        }

    def test_pull_requests_can_only_look_up(self, templates: dict[str, dict[str, Any]]) -> None:
        statements = statements_of(templates[GITHUB_STACK], "InfraDiffRole")
        assert [s["Action"] for s in statements] == ["sts:AssumeRole"]
        assert "lookup-role" in json.dumps(statements[0]["Resource"])
        assert "deploy-role" not in json.dumps(statements[0]["Resource"])

    def test_lambda_deploy_touches_only_the_processor(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        statements = statements_of(templates[GITHUB_STACK], "LambdaDeployRole")
        assert {a for s in statements for a in as_list(s["Action"])} == {
            "lambda:UpdateFunctionCode",
            "lambda:PublishVersion",
            "lambda:GetFunction",
            "lambda:GetFunctionConfiguration",
            "lambda:GetAlias",
            "codedeploy:CreateDeployment",
            "codedeploy:GetDeployment",
            "codedeploy:RegisterApplicationRevision",
            "codedeploy:GetDeploymentConfig",
        }
        for statement in statements:
            text = json.dumps(statement["Resource"])
            assert "function:receiptsnap-processor" in text or "receiptsnap-processor" in text

    def test_host_deploy_sends_one_document_to_the_tagged_host(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        statements = statements_of(templates[GITHUB_STACK], "HostDeployRole")
        by_sid = {s["Sid"]: s for s in statements}
        assert set(by_sid) == {
            "SendTheDeployDocument",
            "ToTheTaggedHostOnly",
            "ReadTheCommandResult",
        }
        document = by_sid["SendTheDeployDocument"]
        assert document["Action"] == "ssm:SendCommand"
        assert json.dumps(document["Resource"]).endswith(':document/receiptsnap-host-deploy"]]}')
        instance = by_sid["ToTheTaggedHostOnly"]
        assert instance["Action"] == "ssm:SendCommand"
        assert ":instance/*" in json.dumps(instance["Resource"])
        assert instance["Condition"] == {
            "StringEquals": {"ssm:resourceTag/receiptsnap-deploy-target": "production"}
        }
        assert by_sid["ReadTheCommandResult"]["Action"] == "ssm:GetCommandInvocation"

    def test_codedeploy_role_is_written_out(self, templates: dict[str, dict[str, Any]]) -> None:
        assert role_actions(templates[MAIN_STACK], "ProcessorDeployRole") == {
            "lambda:GetAlias",
            "lambda:UpdateAlias",
            "lambda:GetProvisionedConcurrencyConfig",
            "cloudwatch:DescribeAlarms",
        }

    def test_oidc_provider_is_native(self, templates: dict[str, dict[str, Any]]) -> None:
        providers = resources(templates[GITHUB_STACK], "AWS::IAM::OIDCProvider")
        (provider,) = providers.values()
        assert provider["Properties"]["Url"] == "https://token.actions.githubusercontent.com"
        assert not resources(templates[GITHUB_STACK], "AWS::Lambda::Function")
