"""Rotation of the database master secret: AWS's single-user PostgreSQL rotation function runs
every 30 days in the isolated subnets, and its security group reaches the database and the
Secrets Manager endpoint, nothing else."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import MAIN_STACK, one, resources

DB_SECRET_NAME = "receiptsnap/db-credentials"
SAR_APP = "SecretsManagerRDSPostgreSQLRotationSingleUser"


def tpl(templates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return templates[MAIN_STACK]


def lid_of(template: dict[str, Any], kind: str, **properties: Any) -> str:
    """The logical id of the one resource of ``kind`` with these properties."""
    found = [
        lid
        for lid, res in resources(template, kind).items()
        if all(res["Properties"].get(k) == v for k, v in properties.items())
    ]
    assert len(found) == 1, f"{kind} {properties}: {found}"
    return found[0]


def group_id(lid: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [lid, "GroupId"]}


@pytest.fixture(scope="module")
def template(templates: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return tpl(templates)


@pytest.fixture(scope="module")
def app(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    apps = resources(template, "AWS::Serverless::Application")
    assert len(apps) == 1, sorted(apps)
    lid, res = next(iter(apps.items()))
    return lid, res["Properties"]


@pytest.fixture(scope="module")
def rotation_sg(template: dict[str, Any], app: tuple[str, dict[str, Any]]) -> str:
    sg = app[1]["Parameters"]["vpcSecurityGroupIds"]
    assert set(sg) == {"Fn::GetAtt"} and sg["Fn::GetAtt"][1] == "GroupId", sg
    lid: str = sg["Fn::GetAtt"][0]
    assert template["Resources"][lid]["Type"] == "AWS::EC2::SecurityGroup"
    return lid


def rules(template: dict[str, Any], kind: str, group: str) -> list[dict[str, Any]]:
    """Standalone ingress/egress rules of ``group`` (by logical id)."""
    return [
        r["Properties"]
        for r in resources(template, kind).values()
        if r["Properties"]["GroupId"] == group_id(group)
    ]


class TestSchedule:
    def test_only_the_database_secret_rotates_every_30_days(
        self, template: dict[str, Any], app: tuple[str, dict[str, Any]]
    ) -> None:
        schedule = one(template, "AWS::SecretsManager::RotationSchedule")["Properties"]
        assert schedule["RotationRules"] == {"ScheduleExpression": "rate(30 days)"}
        assert schedule["RotationLambdaARN"] == {
            "Fn::GetAtt": [app[0], "Outputs.RotationLambdaARN"]
        }
        # The schedule names the secret through its attachment to the instance (which adds
        # host, port and dbname to the secret, what the rotation function connects with).
        attachment = template["Resources"][schedule["SecretId"]["Ref"]]
        assert attachment["Type"] == "AWS::SecretsManager::SecretTargetAttachment"
        assert attachment["Properties"]["TargetType"] == "AWS::RDS::DBInstance"
        secret = template["Resources"][attachment["Properties"]["SecretId"]["Ref"]]
        assert secret["Properties"]["Name"] == DB_SECRET_NAME

    def test_function_is_aws_postgres_single_user_rotation(
        self, template: dict[str, Any], app: tuple[str, dict[str, Any]]
    ) -> None:
        mapping_name = app[1]["Location"]["ApplicationId"]["Fn::FindInMap"][0]
        mapping = template["Mappings"][mapping_name]
        for partition in mapping.values():
            assert partition["applicationId"].endswith(f":applications/{SAR_APP}")
        assert "AWS::Serverless-2016-10-31" in json.dumps(template["Transform"])

    def test_new_passwords_have_the_shape_of_the_first(
        self, template: dict[str, Any], app: tuple[str, dict[str, Any]]
    ) -> None:
        secret = next(
            s
            for s in resources(template, "AWS::SecretsManager::Secret").values()
            if s["Properties"]["Name"] == DB_SECRET_NAME
        )
        generated = secret["Properties"]["GenerateSecretString"]
        assert app[1]["Parameters"]["excludeCharacters"] == generated["ExcludeCharacters"]

    def test_function_may_use_the_data_key_of_the_secret(
        self, template: dict[str, Any], app: tuple[str, dict[str, Any]]
    ) -> None:
        key = lid_of(template, "AWS::KMS::Key", Description="ReceiptSnap data at rest")
        assert app[1]["Parameters"]["kmsKeyArn"] == {"Fn::GetAtt": [key, "Arn"]}

    def test_function_logs_to_a_group_with_retention_and_key(
        self, template: dict[str, Any], app: tuple[str, dict[str, Any]]
    ) -> None:
        name = app[1]["Parameters"]["functionName"]
        lid = lid_of(template, "AWS::Logs::LogGroup", LogGroupName=f"/aws/lambda/{name}")
        assert template["Resources"][lid]["Properties"]["KmsKeyId"]


class TestNetwork:
    def test_function_runs_in_the_isolated_app_subnets(
        self, template: dict[str, Any], app: tuple[str, dict[str, Any]]
    ) -> None:
        joined = app[1]["Parameters"]["vpcSubnetIds"]["Fn::Join"]
        assert joined[0] == ""
        refs = [p["Ref"] for p in joined[1] if isinstance(p, dict)]
        assert len(refs) == 2 and all(r.startswith("Vpcapp") for r in refs), refs

    def test_function_reaches_the_database_port(
        self, template: dict[str, Any], rotation_sg: str
    ) -> None:
        db_lid = lid_of(template, "AWS::RDS::DBInstance", Engine="postgres")
        db_sg = template["Resources"][db_lid]["Properties"]["VPCSecurityGroups"][0]
        port = {"Fn::GetAtt": [db_lid, "Endpoint.Port"]}
        expected = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
        ingress = [
            r
            for r in rules(template, "AWS::EC2::SecurityGroupIngress", db_sg["Fn::GetAtt"][0])
            if r.get("SourceSecurityGroupId") == group_id(rotation_sg)
        ]
        assert len(ingress) == 1 and expected.items() <= ingress[0].items()
        egress = [
            r
            for r in rules(template, "AWS::EC2::SecurityGroupEgress", rotation_sg)
            if r["DestinationSecurityGroupId"] == db_sg
        ]
        assert len(egress) == 1 and expected.items() <= egress[0].items()
        assert "Port" not in template["Resources"][db_lid]["Properties"]  # so 5432

    def test_function_reaches_secrets_manager_through_its_endpoint(
        self, template: dict[str, Any], app: tuple[str, dict[str, Any]], rotation_sg: str
    ) -> None:
        endpoint = next(
            e["Properties"]
            for e in resources(template, "AWS::EC2::VPCEndpoint").values()
            if "secretsmanager" in json.dumps(e["Properties"]["ServiceName"])
        )
        # Private DNS: the default hostname the function is given resolves to the endpoint.
        assert endpoint["PrivateDnsEnabled"] is True
        assert app[1]["Parameters"]["endpoint"]["Fn::Join"][1][0].startswith(
            "https://secretsmanager."
        )
        (endpoint_sg,) = endpoint["SecurityGroupIds"]
        https = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
        ingress = [
            r
            for r in rules(template, "AWS::EC2::SecurityGroupIngress", endpoint_sg["Fn::GetAtt"][0])
            if r.get("SourceSecurityGroupId") == group_id(rotation_sg)
        ]
        assert len(ingress) == 1 and https.items() <= ingress[0].items()
        egress = [
            r
            for r in rules(template, "AWS::EC2::SecurityGroupEgress", rotation_sg)
            if r["DestinationSecurityGroupId"] == endpoint_sg
        ]
        assert len(egress) == 1 and https.items() <= egress[0].items()

    def test_function_may_open_nothing_else(
        self, template: dict[str, Any], rotation_sg: str
    ) -> None:
        group = template["Resources"][rotation_sg]["Properties"]
        # No inline rule (no 0.0.0.0/0, no ingress): its two standalone egress rules replace
        # EC2's default "all outbound" one.
        assert "SecurityGroupEgress" not in group and "SecurityGroupIngress" not in group
        assert len(rules(template, "AWS::EC2::SecurityGroupEgress", rotation_sg)) == 2
        assert not rules(template, "AWS::EC2::SecurityGroupIngress", rotation_sg)
