"""CDK assertions on every resource of the ReceiptSnap stack (cdk.json's context)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template
from conftest import MAIN_STACK, Synth, one, resources
from receiptsnap_infra.config import (
    TELEGRAM_WEBHOOK_CIDRS,
    Config,
    ConfigError,
    config_from_context,
)

CONTEXT = json.loads((__import__("conftest").INFRA / "cdk.json").read_text())["context"]


def tpl(templates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return templates[MAIN_STACK]


class TestBuckets:
    def test_raw_and_processed_block_public_access_encrypt_and_version(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        buckets = resources(tpl(templates), "AWS::S3::Bucket")
        data = {k: v for k, v in buckets.items() if not k.startswith("AccessLogs")}
        assert len(data) == 2
        for bucket in data.values():
            p = bucket["Properties"]
            assert p["PublicAccessBlockConfiguration"] == {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            }
            rule = p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
            assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
            assert rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"]
            assert rule["BucketKeyEnabled"] is True
            assert p["VersioningConfiguration"] == {"Status": "Enabled"}
            assert p["LoggingConfiguration"]["DestinationBucketName"]
            assert p["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]

    def test_every_bucket_policy_denies_plain_http_and_old_tls(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        policies = resources(tpl(templates), "AWS::S3::BucketPolicy")
        assert len(policies) == 3
        for policy in policies.values():
            statements = policy["Properties"]["PolicyDocument"]["Statement"]
            assert {
                "Action": "s3:*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
            }.items() <= statements[0].items()
            assert any(
                s["Effect"] == "Deny" and "s3:TlsVersion" in json.dumps(s.get("Condition", {}))
                for s in statements
            )

    def test_raw_bucket_allows_presigned_put_from_browsers_only(self, main: Template) -> None:
        main.has_resource_properties(
            "AWS::S3::Bucket",
            {
                "CorsConfiguration": {
                    "CorsRules": [
                        Match.object_like(
                            {
                                "AllowedMethods": ["PUT"],
                                "AllowedOrigins": CONTEXT["uploadCorsOrigins"],
                                "ExposedHeaders": ["ETag"],
                            }
                        )
                    ]
                }
            },
        )

    def test_raw_retention_is_configurable(self, synth: Synth) -> None:
        for days in (CONTEXT["rawRetentionDays"], 30):
            template = Template.from_json(synth(rawRetentionDays=days)[MAIN_STACK])
            template.has_resource_properties(
                "AWS::S3::Bucket",
                {
                    "LifecycleConfiguration": {
                        "Rules": Match.array_with(
                            [Match.object_like({"Id": "raw-retention", "ExpirationInDays": days})]
                        )
                    }
                },
            )


class TestQueues:
    def test_jobs_queue_redrives_to_the_dlq_after_five_receives(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        queues = resources(tpl(templates), "AWS::SQS::Queue")
        by_name = {q["Properties"]["QueueName"]: (k, q["Properties"]) for k, q in queues.items()}
        dlq_id, dlq = by_name["receiptsnap-jobs-dlq"]
        _, jobs = by_name["receiptsnap-jobs"]
        assert jobs["RedrivePolicy"] == {
            "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
            "maxReceiveCount": 5,
        }
        assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
        for q in (jobs, dlq):
            assert q["KmsMasterKeyId"], "SSE with the data key"

    def test_visibility_timeout_is_at_least_six_times_the_lambda_timeout(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        function = one(tpl(templates), "AWS::Lambda::Function")["Properties"]
        queues = resources(tpl(templates), "AWS::SQS::Queue").values()
        jobs = next(q for q in queues if q["Properties"]["QueueName"] == "receiptsnap-jobs")
        assert jobs["Properties"]["VisibilityTimeout"] >= 6 * function["Timeout"]

    def test_queues_deny_plain_http(self, templates: dict[str, dict[str, Any]]) -> None:
        policies = resources(tpl(templates), "AWS::SQS::QueuePolicy")
        assert len(policies) == 2
        for policy in policies.values():
            (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
            assert statement["Effect"] == "Deny"
            assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


class TestProcessor:
    def test_function_is_python_arm64_in_private_subnets(self, main: Template) -> None:
        main.has_resource_properties(
            "AWS::Lambda::Function",
            {
                "FunctionName": "receiptsnap-processor",
                "Handler": "processor.handler.lambda_handler",
                "Runtime": "python3.12",
                "Architectures": ["arm64"],
                "MemorySize": CONTEXT["lambdaMemoryMb"],
                "Timeout": CONTEXT["lambdaTimeoutSeconds"],
                "KmsKeyArn": Match.any_value(),
                "LoggingConfig": {"LogGroup": Match.any_value()},
                "VpcConfig": {
                    "SecurityGroupIds": Match.any_value(),
                    "SubnetIds": Match.any_value(),
                },
            },
        )

    def test_environment_matches_the_app_settings(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        env = one(tpl(templates), "AWS::Lambda::Function")["Properties"]["Environment"]["Variables"]
        assert env["OCR_ENGINE"] == "textract"
        assert env["EXTRACTOR"] == "bedrock"
        assert env["BEDROCK_MODEL_ID"] == CONTEXT["bedrockModelId"]
        assert env["QUEUE_NAME"] == "receiptsnap-jobs"
        assert env["CALLBACK_SECRET_ID"] == "receiptsnap/callback-hmac-key"
        assert env["ENVIRONMENT"] == "production"
        assert "AWS_REGION" not in env, "reserved by Lambda"
        callback = json.dumps(env["CALLBACK_URL"])
        assert "PrivateIp" in callback and ":8080/internal/processing-results" in callback
        assert not any("SECRET" in k and "_ID" not in k for k in env), "no secret values"

    def test_sqs_event_source_reports_partial_batch_failures(self, main: Template) -> None:
        main.has_resource_properties(
            "AWS::Lambda::EventSourceMapping",
            {
                "BatchSize": CONTEXT["sqsBatchSize"],
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "ScalingConfig": {"MaximumConcurrency": CONTEXT["sqsMaxConcurrency"]},
            },
        )

    def test_no_reserved_concurrency_by_default(self, templates: dict[str, dict[str, Any]]) -> None:
        """Lambda keeps 100 of an account's concurrency unreserved; a new account may have a
        quota of 10, so a default reservation would fail the first deploy."""
        assert "lambdaReservedConcurrency" not in CONTEXT
        function = one(tpl(templates), "AWS::Lambda::Function")["Properties"]
        assert "ReservedConcurrentExecutions" not in function

    def test_reserved_concurrency_on_request(self, synth: Synth) -> None:
        template = synth(lambdaReservedConcurrency="20")[MAIN_STACK]
        function = one(template, "AWS::Lambda::Function")["Properties"]
        assert function["ReservedConcurrentExecutions"] == 20


class TestProcessorRelease:
    def test_event_source_invokes_the_live_alias(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        template = tpl(templates)
        (alias_id,) = resources(template, "AWS::Lambda::Alias")
        alias = template["Resources"][alias_id]["Properties"]
        assert alias["Name"] == "live"
        assert "Version" in json.dumps(alias["FunctionVersion"]), "a published version"
        mapping = one(template, "AWS::Lambda::EventSourceMapping")["Properties"]
        target = json.dumps(mapping["FunctionName"])
        assert alias_id in target and ":live" in target

    def test_codedeploy_moves_the_alias_and_rolls_back_on_its_errors_alarm(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        template = tpl(templates)
        (alias,) = resources(template, "AWS::Lambda::Alias").values()
        update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
        group = one(template, "AWS::CodeDeploy::DeploymentGroup")["Properties"]
        (group_id,) = resources(template, "AWS::CodeDeploy::DeploymentGroup")
        assert update["DeploymentGroupName"] == {"Ref": group_id}
        assert group["DeploymentGroupName"] == "receiptsnap-processor-live"
        assert group["DeploymentConfigName"] == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
        assert set(group["AutoRollbackConfiguration"]["Events"]) >= {
            "DEPLOYMENT_FAILURE",
            "DEPLOYMENT_STOP_ON_ALARM",
        }
        assert group["AutoRollbackConfiguration"]["Enabled"] is True
        ((alarm_ref,),) = [[a["Name"]["Ref"]] for a in group["AlarmConfiguration"]["Alarms"]]
        alarm = template["Resources"][alarm_ref]["Properties"]
        assert alarm["MetricName"] == "Errors"
        dims = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
        assert "Resource" in dims and ":live" in json.dumps(dims["Resource"]), "the alias's"


class TestHostDeployDocument:
    def test_runs_deploy_sh_with_a_digest_only(self, templates: dict[str, dict[str, Any]]) -> None:
        doc = one(tpl(templates), "AWS::SSM::Document")["Properties"]
        assert doc["Name"] == "receiptsnap-host-deploy"
        assert doc["DocumentType"] == "Command" and doc["UpdateMethod"] == "NewVersion"
        pattern = doc["Content"]["parameters"]["image"]["allowedPattern"]
        digest = "docker.io/org/receiptsnap@sha256:" + "a" * 64
        assert re.fullmatch(pattern, digest)
        for bad in ("docker.io/org/receiptsnap:latest", digest + "; curl x", "evil.io/x@" + digest):
            assert not re.fullmatch(pattern, bad), bad
        (step,) = doc["Content"]["mainSteps"]
        commands = json.dumps(step["inputs"]["runCommand"])
        assert "deploy.sh '{{ image }}'" in commands

    def test_host_is_tagged_as_the_deploy_target(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        host = one(tpl(templates), "AWS::EC2::Instance")["Properties"]
        tags = {t["Key"]: t["Value"] for t in host["Tags"]}
        assert tags["receiptsnap-deploy-target"] == "production"


class TestHost:
    def test_amazon_linux_2023_arm_imdsv2_only_encrypted_disk(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        template = tpl(templates)
        host = one(template, "AWS::EC2::Instance")["Properties"]
        assert host["MetadataOptions"]["HttpTokens"] == "required"
        assert host["MetadataOptions"]["HttpPutResponseHopLimit"] == 2
        assert "KeyName" not in host, "no SSH key: Session Manager"
        (device,) = host["BlockDeviceMappings"]
        assert device["Ebs"]["Encrypted"] is True and device["Ebs"]["KmsKeyId"]
        image = host["ImageId"]["Ref"]
        assert "al2023" in image and "arm64" in image
        assert host["InstanceType"].startswith("t4g.")
        assert host["IamInstanceProfile"]

    def test_security_group_admits_only_telegram_on_443(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        template = tpl(templates)
        groups = resources(template, "AWS::EC2::SecurityGroup")
        host_sg = next(g for k, g in groups.items() if k.startswith("HostSg"))["Properties"]
        ingress = host_sg["SecurityGroupIngress"]
        assert {r["CidrIp"] for r in ingress} == set(TELEGRAM_WEBHOOK_CIDRS)
        assert all(
            (r["FromPort"], r["ToPort"], r["IpProtocol"]) == (443, 443, "tcp") for r in ingress
        )
        # The only other way in: the Lambda's callback, from its security group.
        extra = [
            r["Properties"]
            for r in resources(template, "AWS::EC2::SecurityGroupIngress").values()
            if "HostSg" in json.dumps(r["Properties"]["GroupId"])
        ]
        assert [(r["FromPort"], "SourceSecurityGroupId" in r) for r in extra] == [(8080, True)]
        for rule in resources(template, "AWS::EC2::SecurityGroupIngress").values():
            assert rule["Properties"].get("CidrIp") != "0.0.0.0/0"
            assert rule["Properties"]["FromPort"] != 22

    def test_webhook_ranges_are_configurable(self, synth: Synth) -> None:
        template = synth(webhookIngressCidrs=["203.0.113.0/24"])[MAIN_STACK]
        groups = resources(template, "AWS::EC2::SecurityGroup")
        host_sg = next(g for k, g in groups.items() if k.startswith("HostSg"))["Properties"]
        assert [r["CidrIp"] for r in host_sg["SecurityGroupIngress"]] == ["203.0.113.0/24"]

    def test_without_a_mini_app_domain_no_app_origin_nor_open_port(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        template = tpl(templates)
        raw = next(
            b for k, b in resources(template, "AWS::S3::Bucket").items() if k.startswith("Raw")
        )
        rules = raw["Properties"]["CorsConfiguration"]["CorsRules"]
        assert [r["AllowedMethods"] for r in rules] == [["PUT"]]
        text = json.dumps(one(template, "AWS::SSM::Parameter")["Properties"]["Value"])
        assert "MINI_APP_URL" not in text

    def test_a_mini_app_domain_opens_443_and_the_bucket_to_its_origin(self, synth: Synth) -> None:
        template = synth(miniAppDomain="receipts.example.com")[MAIN_STACK]
        raw = next(
            b for k, b in resources(template, "AWS::S3::Bucket").items() if k.startswith("Raw")
        )
        rules = raw["Properties"]["CorsConfiguration"]["CorsRules"]
        post = [r for r in rules if r["AllowedMethods"] == ["POST"]]
        assert len(post) == 1
        assert post[0]["AllowedOrigins"] == ["https://receipts.example.com"]  # exactly
        groups = resources(template, "AWS::EC2::SecurityGroup")
        host_sg = next(g for k, g in groups.items() if k.startswith("HostSg"))["Properties"]
        cidrs = {(r["CidrIp"], r["FromPort"]) for r in host_sg["SecurityGroupIngress"]}
        assert ("0.0.0.0/0", 443) in cidrs
        assert {c for c, _ in cidrs} == {"0.0.0.0/0", *TELEGRAM_WEBHOOK_CIDRS}
        text = json.dumps(one(template, "AWS::SSM::Parameter")["Properties"]["Value"])
        assert "MINI_APP_URL=https://receipts.example.com/app/\\n" in text
        assert "RECEIPTSNAP_APP_DOMAIN=receipts.example.com\\n" in text

    @pytest.mark.parametrize("name", ["Receipts.Example.com", "1.2.3.4", "https://x.example"])
    def test_a_mini_app_domain_must_be_a_dns_name(self, name: str) -> None:
        with pytest.raises(ConfigError, match="miniAppDomain"):
            Config(mini_app_domain=name).validate()

    def test_elastic_ip_and_settings_parameter(self, templates: dict[str, dict[str, Any]]) -> None:
        template = tpl(templates)
        assert one(template, "AWS::EC2::EIP")["DeletionPolicy"] == "Retain"
        one(template, "AWS::EC2::EIPAssociation")
        param = one(template, "AWS::SSM::Parameter")["Properties"]
        assert param["Name"] == "/receiptsnap/host/env"
        text = json.dumps(param["Value"])
        for key in (
            "ENVIRONMENT=production",
            "QUEUE_NAME=receiptsnap-jobs",
            "TELEGRAM_MODE=webhook",
        ):
            assert key in text
        assert "RECEIPTSNAP_DB_SECRET_ARN" in text
        assert "PASSWORD" not in text.upper().replace("RECEIPTSNAP_DB_SECRET_ARN", "")

    def test_settings_switch_questions_to_bedrock(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        param = one(tpl(templates), "AWS::SSM::Parameter")["Properties"]
        text = json.dumps(param["Value"])
        assert "QUESTION_READER=bedrock\\n" in text
        assert f"BEDROCK_MODEL_ID={CONTEXT['bedrockModelId']}\\n" in text

    def test_question_reader_and_model_are_configurable(self, synth: Synth) -> None:
        template = synth(questionReader="rules", bedrockModelId="amazon.nova-micro-v1:0")
        text = json.dumps(one(template[MAIN_STACK], "AWS::SSM::Parameter")["Properties"]["Value"])
        assert "QUESTION_READER=rules\\n" in text
        assert "BEDROCK_MODEL_ID=amazon.nova-micro-v1:0\\n" in text
        assert "QUESTION_MODEL_ID" not in text, "one model setting for both"

    def test_user_data_reads_the_settings_parameter(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        user_data = json.dumps(one(tpl(templates), "AWS::EC2::Instance")["Properties"]["UserData"])
        assert "/receiptsnap/host/env" in user_data
        assert "__ENV_PARAMETER__" not in user_data


class TestDatabase:
    def test_postgres_private_encrypted_backed_up(self, main: Template) -> None:
        main.has_resource_properties(
            "AWS::RDS::DBInstance",
            {
                "Engine": "postgres",
                "EngineVersion": CONTEXT["dbEngineVersion"],
                "DBInstanceClass": "db." + CONTEXT["dbInstanceClass"],
                "StorageEncrypted": True,
                "KmsKeyId": Match.any_value(),
                "PubliclyAccessible": False,
                "BackupRetentionPeriod": CONTEXT["dbBackupRetentionDays"],
                "DeletionProtection": True,
                "MultiAZ": False,
                "EnableIAMDatabaseAuthentication": True,
                "MasterUsername": Match.any_value(),
                "MasterUserPassword": Match.any_value(),
            },
        )

    def test_credentials_come_from_a_generated_secret(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        template = tpl(templates)
        db = one(template, "AWS::RDS::DBInstance")
        assert "resolve:secretsmanager" in json.dumps(db["Properties"]["MasterUserPassword"])
        assert db["UpdateReplacePolicy"] == "Snapshot"
        secrets = resources(template, "AWS::SecretsManager::Secret")
        db_secret = next(
            s for s in secrets.values() if s["Properties"]["Name"] == "receiptsnap/db-credentials"
        )
        assert "GenerateSecretString" in db_secret["Properties"]

    def test_subnets_are_isolated(self, templates: dict[str, dict[str, Any]]) -> None:
        template = tpl(templates)
        group = one(template, "AWS::RDS::DBSubnetGroup")["Properties"]
        refs = [s["Ref"] for s in group["SubnetIds"]]
        assert refs and all("data" in r.lower() for r in refs)
        for ref in refs:
            assert template["Resources"][ref]["Properties"]["MapPublicIpOnLaunch"] is False


class TestSecrets:
    def test_all_secrets_generated_and_encrypted_with_the_data_key(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        secrets = resources(tpl(templates), "AWS::SecretsManager::Secret")
        names = {s["Properties"]["Name"] for s in secrets.values()}
        assert names == {
            "receiptsnap/callback-hmac-key",
            "receiptsnap/telegram-bot-token",
            "receiptsnap/telegram-webhook-secret",
            "receiptsnap/jwt-signing-key",
            "receiptsnap/db-credentials",
        }
        for secret in secrets.values():
            p = secret["Properties"]
            assert "SecretString" not in p, "no secret value in the template"
            assert "GenerateSecretString" in p
            assert p["KmsKeyId"]


class TestNetwork:
    def test_no_nat_gateway_and_endpoints_for_the_lambda(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        template = tpl(templates)
        assert not resources(template, "AWS::EC2::NatGateway")
        endpoints = resources(template, "AWS::EC2::VPCEndpoint").values()
        names = json.dumps([e["Properties"]["ServiceName"] for e in endpoints])
        for service in ("s3", "secretsmanager", "textract", "bedrock-runtime", ".bedrock"):
            assert f".{service}" in names or f'{service}"' in names or service in names
        assert len(list(endpoints)) == 5

    def test_flow_logs(self, main: Template) -> None:
        main.has_resource_properties("AWS::EC2::FlowLog", {"TrafficType": "ALL"})


class TestObservability:
    def test_every_log_group_has_retention_and_encryption(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        groups = resources(tpl(templates), "AWS::Logs::LogGroup")
        names = {g["Properties"]["LogGroupName"] for g in groups.values()}
        # The database secret's rotation function is named by CDK (test_cdk_rotation.py).
        rotation = {n for n in names if n.startswith("/aws/lambda/ReceiptSnapproductionDatabase")}
        assert len(rotation) == 1
        assert {
            "/aws/lambda/receiptsnap-processor",
            "/receiptsnap/host/api",
            "/receiptsnap/host/proxy",
            "/aws/rds/instance/receiptsnap-db/postgresql",
            "/receiptsnap/vpc/flow-logs",
        } == names - rotation
        for group in groups.values():
            assert group["Properties"]["RetentionInDays"] == CONTEXT["logRetentionDays"]
            assert group["Properties"]["KmsKeyId"]

    @pytest.mark.parametrize(
        ("alarm", "metric"),
        [
            ("dlq-not-empty", "ApproximateNumberOfMessagesVisible"),
            ("processor-errors", "Errors"),
            ("oldest-job-age", "ApproximateAgeOfOldestMessage"),
            ("host-status-check", "StatusCheckFailed"),
            ("host-system-recover", "StatusCheckFailed_System"),
        ],
    )
    def test_alarm_notifies_the_topic(self, main: Template, alarm: str, metric: str) -> None:
        main.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {
                "AlarmName": f"receiptsnap-{alarm}",
                "MetricName": metric,
                "AlarmActions": Match.array_with([{"Ref": Match.string_like_regexp("AlarmTopic")}]),
            },
        )

    def test_5xx_rate_alarm_is_a_ratio_of_proxy_log_metrics(
        self, templates: dict[str, dict[str, Any]], main: Template
    ) -> None:
        alarms = resources(tpl(templates), "AWS::CloudWatch::Alarm").values()
        rate = next(
            a for a in alarms if a["Properties"]["AlarmName"] == "receiptsnap-http-5xx-rate"
        )
        expressions = [m.get("Expression", "") for m in rate["Properties"]["Metrics"]]
        assert any("errors / requests" in e for e in expressions)
        assert rate["Properties"]["Threshold"] == CONTEXT["http5xxRateAlarmPercent"]
        main.has_resource_properties(
            "AWS::Logs::MetricFilter",
            {"FilterPattern": "{ $.status >= 500 }", "MetricTransformations": Match.any_value()},
        )

    def test_alarm_topic_is_encrypted_and_dashboard_exists(self, main: Template) -> None:
        main.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})
        main.resource_count_is("AWS::CloudWatch::Dashboard", 1)

    def test_alarm_email_subscription_is_optional(self, synth: Synth) -> None:
        template = Template.from_json(synth(alarmEmail="ops@example.com")[MAIN_STACK])
        template.has_resource_properties(
            "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.com"}
        )


class TestKey:
    def test_data_key_rotates(self, main: Template) -> None:
        main.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


class TestConfig:
    def context(self, **overrides: Any) -> Config:
        merged = {**CONTEXT, **overrides}
        return config_from_context(merged.get)

    def test_defaults_are_valid(self) -> None:
        cfg = self.context()
        assert cfg.visibility_timeout_seconds == 6 * cfg.lambda_timeout_seconds

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"region": "af-south-1"}, "Textract and Bedrock"),
            ({"lambdaTimeoutSeconds": 60}, "no room for a Textract job"),
            ({"visibilityTimeoutFactor": 3}, "at least 6"),
            ({"lambdaReservedConcurrency": 2, "sqsMaxConcurrency": 5}, ">= sqsMaxConcurrency"),
            ({"webhookIngressCidrs": ["not-a-cidr"]}, "not a CIDR"),
            ({"sqsBatchSize": 50}, "sqsBatchSize"),
            ({"questionReader": "llm"}, "questionReader"),
        ],
    )
    def test_rejects_impossible_combinations(self, overrides: dict[str, Any], message: str) -> None:
        with pytest.raises(ConfigError, match=message):
            self.context(**overrides)

    def test_cli_strings_are_coerced(self) -> None:
        cfg = self.context(
            lambdaMemoryMb="2048", dbMultiAz="true", webhookIngressCidrs="1.2.3.0/24"
        )
        assert cfg.lambda_memory_mb == 2048
        assert cfg.db_multi_az is True
        assert cfg.webhook_ingress_cidrs == ("1.2.3.0/24",)


class TestLogsMetricsAlarms:
    def test_processor_logs_json_at_info(self, main: Template) -> None:
        main.has_resource_properties(
            "AWS::Lambda::Function",
            {
                "FunctionName": "receiptsnap-processor",
                "LoggingConfig": Match.object_like(
                    {"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO"}
                ),
            },
        )

    def test_alarms_on_failure_rate_dlq_depth_and_oldest_job(
        self, templates: dict[str, dict[str, Any]]
    ) -> None:
        alarms = {
            a["Properties"]["AlarmName"]: a["Properties"]
            for a in resources(tpl(templates), "AWS::CloudWatch::Alarm").values()
        }
        rate = alarms["receiptsnap-receipt-failure-rate"]
        assert rate["Threshold"] == 20.0
        metrics = {m["Id"]: m for m in rate["Metrics"]}
        assert "100 * failed / (done + failed)" in metrics["expr_1"]["Expression"] or any(
            "failed / (done + failed)" in m.get("Expression", "") for m in metrics.values()
        )
        stat = metrics["failed"]["MetricStat"]["Metric"]
        assert stat["Namespace"] == "ReceiptSnap" and stat["MetricName"] == "ReceiptsFailed"
        assert stat["Dimensions"] == [{"Name": "service", "Value": "receiptsnap-processor"}]
        fallback = alarms["receiptsnap-extractor-fallback-rate"]
        assert fallback["Threshold"] == 10.0
        expressions = [m["Expression"] for m in fallback["Metrics"] if "Expression" in m]
        assert expressions == ["IF(done >= 5, 100 * fallbacks / done, 0)"]
        by_id = {
            m["Id"]: m["MetricStat"]["Metric"] for m in fallback["Metrics"] if "MetricStat" in m
        }
        assert by_id["fallbacks"]["MetricName"] == "ReceiptsFallback"
        assert by_id["done"]["MetricName"] == "ReceiptsDone"
        assert "receiptsnap-dlq-not-empty" in alarms
        assert "receiptsnap-oldest-job-age" in alarms
        for name in (
            "receipt-failure-rate",
            "extractor-fallback-rate",
            "dlq-not-empty",
            "oldest-job-age",
        ):
            assert alarms[f"receiptsnap-{name}"]["AlarmActions"], "each alarm notifies the topic"

    def test_dashboard_graphs_receipts(self, templates: dict[str, dict[str, Any]]) -> None:
        (dashboard,) = resources(tpl(templates), "AWS::CloudWatch::Dashboard").values()
        body = json.dumps(dashboard["Properties"]["DashboardBody"])
        assert "Receipts" in body and "ReceiptsFailed" in body and "failed %" in body
