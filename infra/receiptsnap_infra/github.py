"""GitHub Actions' way into AWS: OIDC federation, no long-lived keys.

Three roles, each trusted only by tokens of one repository in one context:
- ``<prefix>-github-infra-diff``: pull requests; may only assume CDK's lookup role (read-only)
  so that `cdk diff` can compare with the deployed stack. Pull requests from forks receive no
  OIDC token at all.
- ``<prefix>-github-infra-deploy``: jobs in the protected GitHub environment (reviewers);
  may assume CDK's bootstrap roles that deploy (the CloudFormation execution role does the work).
- ``<prefix>-github-lambda-deploy``: jobs in the same environment; may update the processor's
  code and nothing else.
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
                sid="UpdateProcessorCode",
                actions=[
                    "lambda:UpdateFunctionCode",
                    "lambda:GetFunction",
                    "lambda:GetFunctionConfiguration",
                ],
                resources=[function_arn],
            )
        )

        for name, r in (
            ("InfraDiffRoleArn", diff),
            ("InfraDeployRoleArn", deploy),
            ("LambdaDeployRoleArn", lambda_deploy),
        ):
            CfnOutput(self, name, value=r.role_arn)
