"""GitHub Actions' way into AWS: OIDC federation, no long-lived keys.

Three roles, each trusted only by tokens of one repository in one context:
- ``<prefix>-github-infra-diff``: pull requests; may only assume CDK's lookup role (read-only)
  so that `cdk diff` can compare with the deployed stack. Pull requests from forks receive no
  OIDC token at all.
- ``<prefix>-github-infra-deploy``: jobs in the protected GitHub environment (reviewers);
  may assume CDK's bootstrap roles that deploy (the CloudFormation execution role does the work).
- ``<prefix>-github-lambda-deploy``: jobs in the same environment; may update the processor's
  code, publish a version and ask CodeDeploy to move the `live` alias to it, nothing else.
- ``<prefix>-github-host-deploy``: jobs in the same environment; may send the one deploy
  document (an SSM Command document of the main stack) to the one tagged host, and read the
  result. This replaces a self-hosted runner on the host: no workflow runs there.
"""

from __future__ import annotations

from aws_cdk import Aws, CfnOutput, Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from receiptsnap_infra.config import Config

GITHUB_OIDC_URL = "token.actions.githubusercontent.com"
# CDK's default bootstrap qualifier.
CDK_QUALIFIER = "hnb659fds"


class GitHubOidcStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: Config, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        assert config.github_repo, "githubRepo is required for the GitHub OIDC stack"
        repo = config.github_repo
        if config.github_oidc_provider_arn:
            provider_arn = config.github_oidc_provider_arn
        else:
            # The native resource (no custom resource Lambda). GitHub's certificate chain is
            # trusted by IAM itself, so no thumbprint is pinned.
            provider = iam.CfnOIDCProvider(
                self,
                "GitHubOidcProvider",
                url=f"https://{GITHUB_OIDC_URL}",
                client_id_list=["sts.amazonaws.com"],
            )
            provider_arn = provider.attr_arn

        def role(cid: str, name: str, subject: str, description: str) -> iam.Role:
            return iam.Role(
                self,
                cid,
                role_name=f"{config.prefix}-{name}",
                description=description,
                max_session_duration=Duration.hours(1),
                assumed_by=iam.WebIdentityPrincipal(
                    provider_arn,
                    conditions={
                        "StringEquals": {
                            f"{GITHUB_OIDC_URL}:aud": "sts.amazonaws.com",
                            f"{GITHUB_OIDC_URL}:sub": f"repo:{repo}:{subject}",
                        }
                    },
                ),
            )

        def cdk_role(kind: str) -> str:
            return (
                f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/"
                f"cdk-{CDK_QUALIFIER}-{kind}-role-{Aws.ACCOUNT_ID}-{Aws.REGION}"
            )

        environment = f"environment:{config.github_environment}"
        diff = role(
            "InfraDiffRole",
            "github-infra-diff",
            "pull_request",
            "GitHub Actions: cdk diff on pull requests (read-only)",
        )
        diff.add_to_policy(
            iam.PolicyStatement(
                sid="AssumeCdkLookupRole",
                actions=["sts:AssumeRole"],
                resources=[cdk_role("lookup")],
            )
        )

        deploy = role(
            "InfraDeployRole",
            "github-infra-deploy",
            environment,
            "GitHub Actions: cdk deploy from the protected environment",
        )
        deploy.add_to_policy(
            iam.PolicyStatement(
                sid="AssumeCdkBootstrapRoles",
                actions=["sts:AssumeRole", "sts:TagSession"],
                resources=[
                    cdk_role(k) for k in ("lookup", "deploy", "file-publishing", "image-publishing")
                ],
            )
        )

        lambda_deploy = role(
            "LambdaDeployRole",
            "github-lambda-deploy",
            environment,
            "GitHub Actions: update the processor Lambda's code",
        )
        function_arn = (
            f"arn:{Aws.PARTITION}:lambda:{Aws.REGION}:{Aws.ACCOUNT_ID}:function:"
            f"{config.function_name}"
        )
        lambda_deploy.add_to_policy(
            iam.PolicyStatement(
                sid="UpdateProcessorCodeAndPublish",
                actions=[
                    "lambda:UpdateFunctionCode",
                    "lambda:PublishVersion",
                    "lambda:GetFunction",
                    "lambda:GetFunctionConfiguration",
                    "lambda:GetAlias",
                ],
                resources=[function_arn, f"{function_arn}:*"],
            )
        )
        codedeploy = f"arn:{Aws.PARTITION}:codedeploy:{Aws.REGION}:{Aws.ACCOUNT_ID}"
        lambda_deploy.add_to_policy(
            iam.PolicyStatement(
                sid="MoveTheAliasThroughCodeDeploy",
                # CodeDeploy (its own service role) shifts `live` and rolls it back on alarm.
                actions=["codedeploy:CreateDeployment", "codedeploy:GetDeployment"],
                resources=[
                    f"{codedeploy}:deploymentgroup:{config.processor_deploy_application}/"
                    f"{config.processor_deploy_group}"
                ],
            )
        )
        lambda_deploy.add_to_policy(
            iam.PolicyStatement(
                sid="CodeDeployRevisionAndConfig",
                actions=[
                    "codedeploy:RegisterApplicationRevision",
                    "codedeploy:GetDeploymentConfig",
                ],
                resources=[
                    f"{codedeploy}:application:{config.processor_deploy_application}",
                    f"{codedeploy}:deploymentconfig:CodeDeployDefault.LambdaCanary10Percent5Minutes",
                ],
            )
        )

        host_deploy = role(
            "HostDeployRole",
            "github-host-deploy",
            environment,
            "GitHub Actions: run the host's deploy document (SSM) on the tagged host",
        )
        tag_key, tag_value = config.host_deploy_tag
        host_deploy.add_to_policy(
            iam.PolicyStatement(
                sid="SendTheDeployDocument",
                actions=["ssm:SendCommand"],
                resources=[
                    f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:document/"
                    f"{config.host_deploy_document_name}"
                ],
            )
        )
        host_deploy.add_to_policy(
            iam.PolicyStatement(
                sid="ToTheTaggedHostOnly",
                # SendCommand is authorised on the document and on each instance; the instance
                # must carry the tag the main stack puts on the host.
                actions=["ssm:SendCommand"],
                resources=[f"arn:{Aws.PARTITION}:ec2:{Aws.REGION}:{Aws.ACCOUNT_ID}:instance/*"],
                conditions={"StringEquals": {f"ssm:resourceTag/{tag_key}": tag_value}},
            )
        )
        host_deploy.add_to_policy(
            iam.PolicyStatement(
                sid="ReadTheCommandResult",
                # GetCommandInvocation supports no resource-level permissions.
                actions=["ssm:GetCommandInvocation"],
                resources=["*"],
            )
        )

        for name, r in (
            ("InfraDiffRoleArn", diff),
            ("InfraDeployRoleArn", deploy),
            ("LambdaDeployRoleArn", lambda_deploy),
            ("HostDeployRoleArn", host_deploy),
        ):
            CfnOutput(self, name, value=r.role_arn)
