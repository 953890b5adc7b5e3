"""The ReceiptSnap stack: every AWS resource of the product, least privilege.

    Telegram ──443 (Telegram's ranges only)──▶ EC2 host: nginx (TLS) ─▶ API + bot (Docker)
                                                   │  presigned PUT, HEAD ─▶ S3 raw
                                                   │  SendMessage ────────▶ SQS (+ DLQ)
                                                   │  5432 ───────────────▶ RDS PostgreSQL
                                                   │  InvokeModel ────────▶ Bedrock (questions)
    SQS ──event source mapping──▶ Lambda (VPC, private subnets, no internet)
                                    ├─ S3 (gateway endpoint), Textract, Bedrock, Secrets Manager
                                    │  (interface endpoints)
                                    └─ 8080 ──▶ host (signed callback, inside the VPC)
    Secrets Manager ──every 30 days──▶ rotation Lambda (SAR, private subnets)
                                    ├─ 5432 ──▶ RDS (new master password)
                                    └─ 443 ───▶ Secrets Manager (interface endpoint)

IAM policies are written out action by action (no ``*`` in any action); resources are the
stack's own ARNs, except where AWS offers no resource-level permission (Textract, Session
Manager's channel actions, ENI description), which tests/infra/cdk lists and checks.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import (
    Aws,
    CfnOutput,
    Duration,
    Names,
    RemovalPolicy,
    Stack,
    Tags,
)
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_secretsmanager as sm
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from receiptsnap_infra.config import Config, foundation_model_id, is_inference_profile
from receiptsnap_infra.suppress import cfn_lint_ignore, checkov_skip

HOST_DIR = Path(__file__).resolve().parents[1] / "host"
METRICS_NAMESPACE = "ReceiptSnap"
CALLBACK_PORT = 8080
RAW_PREFIX = "users/"
PROCESSED_PREFIXES = ("processed/", "ocr-cache/", "thumbnails/")
DB_SECRET_ROTATION_DAYS = 30
# Characters left out of the database password, at creation and at every rotation (CDK's default
# set, written out so that both use the same one).
DB_EXCLUDED_CHARACTERS = " %+~`#$&*()|[]{}:;<>?!'/@\"\\"

_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


class ReceiptSnapStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: Config, lambda_zip: Path, **kwargs
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.cfg = cfg = config
        Tags.of(self).add("app", "receiptsnap")
        Tags.of(self).add("environment", cfg.environment)

        self.key = self._key()
        self.alarm_topic = self._alarm_topic()
        self.vpc, self.host_sg, self.lambda_sg, self.db_sg, self.rotation_sg = self._network()
        self.access_logs, self.raw, self.processed = self._buckets()
        self.dlq, self.queue = self._queues()
        self.secrets = self._secrets()
        self.db = self._database()
        self.host_logs = self._host_log_groups()
        self.eip, self.host, self.host_role, self.env_parameter = self._host()
        self.host_deploy_document = self._host_deploy()
        self.function, self.function_logs = self._processor(lambda_zip)
        self.processor_alias = self._processor_release()
        self._alarms_and_dashboard()
        self._outputs()

    # ---- encryption --------------------------------------------------------------------------

    def _key(self) -> kms.Key:
        """One customer-managed key for the product's data at rest: buckets, queues, secrets,
        logs, the database, the host's disk, the alarm topic and the Lambda's environment."""
        key = kms.Key(
            self,
            "DataKey",
            alias=f"alias/{self.cfg.prefix}-data",
            description="ReceiptSnap data at rest",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsUseOfTheKey",
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=[
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                    "kms:GenerateDataKey",
                    "kms:GenerateDataKeyWithoutPlaintext",
                    "kms:DescribeKey",
                ],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*"
                        )
                    }
                },
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublishToTheEncryptedTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        return key

    def _log_group(self, cid: str, name: str) -> logs.LogGroup:
        return logs.LogGroup(
            self,
            cid,
            log_group_name=name,
            retention=_RETENTION.get(self.cfg.log_retention_days, logs.RetentionDays.ONE_MONTH),
            encryption_key=self.key,
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _alarm_topic(self) -> sns.Topic:
        topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=f"{self.cfg.prefix}-alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        if self.cfg.alarm_email:
            topic.add_subscription(subs.EmailSubscription(self.cfg.alarm_email))
        return topic

    # ---- network -----------------------------------------------------------------------------

    def _network(
        self,
    ) -> tuple[ec2.Vpc, ec2.SecurityGroup, ec2.SecurityGroup, ec2.SecurityGroup, ec2.SecurityGroup]:
        cfg = self.cfg
        vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cfg.vpc_cidr),
            max_azs=cfg.max_azs,
            nat_gateways=0,  # nothing private needs the internet: AWS APIs via endpoints
            restrict_default_security_group=False,  # see the checkov note on the VPC below
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC),
                ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
                ec2.SubnetConfiguration(name="data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            ],
        )
        for subnet in vpc.public_subnets:
            # The host gets the Elastic IP; nothing else launches in the public subnets.
            cfn = subnet.node.default_child
            assert isinstance(cfn, ec2.CfnSubnet)
            cfn.map_public_ip_on_launch = False
        flow_logs = self._log_group("FlowLogs", f"/{cfg.prefix}/vpc/flow-logs")
        vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )

        host_sg = ec2.SecurityGroup(
            self,
            "HostSg",
            vpc=vpc,
            description="ReceiptSnap host: 443 from Telegram only; callback from the Lambda",
            allow_all_outbound=False,
        )
        for cidr in cfg.webhook_ingress_cidrs:
            host_sg.add_ingress_rule(
                ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), "Telegram webhook (published range)"
            )
        if cfg.mini_app_domain:  # users' phones open the Mini App (nginx guards the webhook)
            host_sg.add_ingress_rule(
                ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "Mini App and client API (HTTPS)"
            )
        # HTTPS out: Telegram Bot API, Docker Hub, OS updates, AWS APIs (SSM: the deploys).
        host_sg.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS out")

        lambda_sg = ec2.SecurityGroup(
            self,
            "ProcessorSg",
            vpc=vpc,
            description="ReceiptSnap processor Lambda",
            allow_all_outbound=False,
        )
        # The isolated subnets route only to the VPC, the S3 gateway and the interface
        # endpoints, so "443 anywhere" reaches AWS APIs and nothing on the internet.
        lambda_sg.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "AWS APIs (endpoints)")
        lambda_sg.connections.allow_to(
            host_sg, ec2.Port.tcp(CALLBACK_PORT), "signed processing callback"
        )

        db_sg = ec2.SecurityGroup(
            self,
            "DatabaseSg",
            vpc=vpc,
            description="ReceiptSnap PostgreSQL: from the host only",
            allow_all_outbound=False,
        )
        host_sg.connections.allow_to(db_sg, ec2.Port.tcp(5432), "PostgreSQL")
        # The database secret's rotation function: PostgreSQL (the rule is added with the
        # rotation, _database) and Secrets Manager through its endpoint, nothing else. The
        # descriptions of the database and endpoint groups stay as they are: changing one
        # replaces the group.
        rotation_sg = ec2.SecurityGroup(
            self,
            "DatabaseRotationSg",
            vpc=vpc,
            description="ReceiptSnap database secret rotation Lambda",
            allow_all_outbound=False,
        )

        endpoint_sg = ec2.SecurityGroup(
            self,
            "EndpointSg",
            vpc=vpc,
            description="Interface endpoints: HTTPS from the Lambda and the host",
            allow_all_outbound=False,
        )
        endpoint_sg.connections.allow_from(lambda_sg, ec2.Port.tcp(443), "Lambda to AWS APIs")
        # Private DNS makes the host resolve these services to the endpoints too.
        endpoint_sg.connections.allow_from(host_sg, ec2.Port.tcp(443), "host to AWS APIs")
        endpoint_sg.connections.allow_from(
            rotation_sg, ec2.Port.tcp(443), "rotation Lambda to Secrets Manager"
        )

        vpc.add_gateway_endpoint("S3Endpoint", service=ec2.GatewayVpcEndpointAwsService.S3)
        for cid, service in (
            ("SecretsManagerEndpoint", ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER),
            ("TextractEndpoint", ec2.InterfaceVpcEndpointAwsService.TEXTRACT),
            ("BedrockRuntimeEndpoint", ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME),
            # The control plane: the processor reads its model's lifecycle at cold start.
            ("BedrockEndpoint", ec2.InterfaceVpcEndpointAwsService.BEDROCK),
        ):
            vpc.add_interface_endpoint(
                cid,
                service=service,
                subnets=ec2.SubnetSelection(subnet_group_name="app"),
                security_groups=[endpoint_sg],
                private_dns_enabled=True,
                open=False,
            )
        return vpc, host_sg, lambda_sg, db_sg, rotation_sg

    # ---- storage -----------------------------------------------------------------------------

    def _buckets(self) -> tuple[s3.Bucket, s3.Bucket, s3.Bucket]:
        cfg = self.cfg
        suffix = f"{Aws.ACCOUNT_ID}-{Aws.REGION}"
        access_logs = s3.Bucket(
            self,
            "AccessLogsBucket",
            bucket_name=f"{cfg.prefix}-access-logs-{suffix}",
            # S3 server access logging can only deliver to SSE-S3 buckets.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=Duration.days(365),
                    noncurrent_version_expiration=Duration.days(1),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        checkov_skip(
            access_logs,
            CKV_AWS_18="This is the access-log target; logging it into itself would loop.",
        )

        common = {
            "encryption": s3.BucketEncryption.KMS,
            "encryption_key": self.key,
            "bucket_key_enabled": True,  # one KMS call per object batch, not per request
            "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
            "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            "enforce_ssl": True,
            "minimum_tls_version": 1.2,
            "versioned": True,
            "server_access_logs_bucket": access_logs,
            "removal_policy": RemovalPolicy.RETAIN,
        }
        raw = s3.Bucket(
            self,
            "RawBucket",
            bucket_name=f"{cfg.prefix}-raw-{suffix}",
            server_access_logs_prefix="raw/",
            cors=[
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.PUT],
                    allowed_origins=list(cfg.upload_cors_origins),
                    allowed_headers=["content-type", "content-length", "content-md5"],
                    exposed_headers=["ETag"],
                    max_age=3000,
                ),
                # The Mini App's upload: a presigned POST (a multipart form sent by
                # XMLHttpRequest, whose upload progress makes the browser ask first: a
                # preflight), from exactly the app's origin. S3 answers a preflight only when
                # a rule matches its origin, method and requested headers
                # (docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html).
                *(
                    [
                        s3.CorsRule(
                            allowed_methods=[s3.HttpMethods.POST],
                            allowed_origins=[cfg.mini_app_origin],
                            allowed_headers=["content-type"],
                            max_age=3000,
                        )
                    ]
                    if cfg.mini_app_origin
                    else []
                ),
            ],
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="raw-retention",
                    expiration=Duration.days(cfg.raw_retention_days),
                    noncurrent_version_expiration=Duration.days(1),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                )
            ],
            **common,
        )
        processed = s3.Bucket(
            self,
            "ProcessedBucket",
            bucket_name=f"{cfg.prefix}-processed-{suffix}",
            server_access_logs_prefix="processed/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="processed-old-versions",
                    noncurrent_version_expiration=Duration.days(cfg.processed_noncurrent_days),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
                s3.LifecycleRule(
                    # Textract's answer, kept only so that a retry does not pay twice.
                    id="ocr-cache",
                    prefix="ocr-cache/",
                    expiration=Duration.days(7),
                ),
            ],
            **common,
        )
        return access_logs, raw, processed

    def _queues(self) -> tuple[sqs.Queue, sqs.Queue]:
        cfg = self.cfg
        dlq = sqs.Queue(
            self,
            "JobsDlq",
            queue_name=cfg.dlq_name,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            data_key_reuse=Duration.hours(1),
            enforce_ssl=True,
            retention_period=Duration.days(14),
        )
        queue = sqs.Queue(
            self,
            "JobsQueue",
            queue_name=cfg.queue_name,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.key,
            data_key_reuse=Duration.hours(1),
            enforce_ssl=True,
            retention_period=Duration.days(4),
            visibility_timeout=Duration.seconds(cfg.visibility_timeout_seconds),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=dlq, max_receive_count=cfg.max_receive_count
            ),
        )
        return dlq, queue

    def _secrets(self) -> dict[str, sm.Secret]:
        cfg = self.cfg

        def generated(cid: str, what: str, description: str, length: int = 64) -> sm.Secret:
            secret = sm.Secret(
                self,
                cid,
                secret_name=cfg.secret_name(what),
                description=description,
                encryption_key=self.key,
                generate_secret_string=sm.SecretStringGenerator(
                    password_length=length, exclude_punctuation=True, include_space=False
                ),
            )
            return secret

        secrets = {
            "callback": generated(
                "CallbackKey", "callback-hmac-key", "HMAC key of the processor's callback"
            ),
            "webhook": generated(
                "TelegramWebhookSecret",
                "telegram-webhook-secret",
                "Telegram webhook secret token (X-Telegram-Bot-Api-Secret-Token)",
            ),
            "jwt": generated("JwtKey", "jwt-signing-key", "Signing key of the admin API tokens"),
            # Created with a random value that no bot accepts; put BotFather's token with
            # `aws secretsmanager put-secret-value` (docs/deploy.md). CloudFormation never
            # regenerates it on later deploys.
            "bot_token": generated(
                "TelegramBotToken", "telegram-bot-token", "Telegram bot token from BotFather"
            ),
        }
        # No rotation schedule yet: the callback key would need the API and the Lambda to accept
        # two keys for a while, Telegram's webhook secret has no overlap window, rotating the
        # JWT key signs every admin out, and the bot token is issued by BotFather (/revoke).
        # docs/deploy.md describes the manual rotations.
        return secrets

    def _database(self) -> rds.DatabaseInstance:
        cfg = self.cfg
        # RDS creates its log group on first write; made here first to own retention and key.
        self._log_group(
            "DatabaseLogs", f"/aws/rds/instance/{cfg.db_instance_identifier}/postgresql"
        )
        engine_version = rds.PostgresEngineVersion.of(
            cfg.db_engine_version, cfg.db_engine_version.split(".")[0]
        )
        db = rds.DatabaseInstance(
            self,
            "Database",
            instance_identifier=cfg.db_instance_identifier,
            engine=rds.DatabaseInstanceEngine.postgres(version=engine_version),
            instance_type=ec2.InstanceType(cfg.db_instance_class),
            vpc=self.vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_group_name="data"),
            security_groups=[self.db_sg],
            database_name=cfg.db_name,
            credentials=rds.Credentials.from_generated_secret(
                "receiptsnap",
                secret_name=cfg.secret_name("db-credentials"),
                encryption_key=self.key,
                exclude_characters=DB_EXCLUDED_CHARACTERS,
            ),
            storage_encrypted=True,
            storage_encryption_key=self.key,
            storage_type=rds.StorageType.GP3,
            allocated_storage=cfg.db_allocated_storage_gb,
            max_allocated_storage=cfg.db_max_allocated_storage_gb,
            multi_az=cfg.db_multi_az,
            publicly_accessible=False,
            backup_retention=Duration.days(cfg.db_backup_retention_days),
            preferred_backup_window="03:00-03:30",
            preferred_maintenance_window="sun:04:00-sun:04:30",
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            deletion_protection=cfg.db_deletion_protection,
            delete_automated_backups=False,
            iam_authentication=True,
            cloudwatch_logs_exports=["postgresql"],
            removal_policy=RemovalPolicy.SNAPSHOT,
        )
        checkov_skip(
            db,
            CKV_AWS_118="Enhanced monitoring needs a role with an AWS-managed policy and "
            "costs extra; CloudWatch metrics and the postgresql log suffice at this size.",
            CKV_AWS_157="Single-AZ by default for cost (dbMultiAz=true in cdk.json turns it on); "
            "daily backups with point-in-time recovery cover the data.",
        )
        self._database_rotation(db)
        return db

    def _database_rotation(self, db: rds.DatabaseInstance) -> None:
        """Single-user rotation of the master secret (AWS's PostgreSQL rotation function from the
        Serverless Application Repository): the one user gets a new password every
        DB_SECRET_ROTATION_DAYS. The app asks the secret for the password on each new connection
        (DATABASE_SECRET_ID; its cache keeps a value up to 5 minutes, docs/deploy.md), and open
        connections are not dropped by the change."""
        rotation = db.add_rotation_single_user(
            automatically_after=Duration.days(DB_SECRET_ROTATION_DAYS),
            exclude_characters=DB_EXCLUDED_CHARACTERS,
            security_group=self.rotation_sg,  # also given 5432 into the database's group
            # Isolated like the processor: the VPC's private DNS resolves Secrets Manager's
            # usual hostname to the interface endpoint, so no `endpoint` is passed.
            vpc_subnets=ec2.SubnetSelection(subnet_group_name="app"),
        )
        # The function's name, as SecretRotation derives it; its log group is made here first
        # to own retention and key (Lambda would create it without either).
        function_name = Names.unique_id(rotation)[-64:]
        self._log_group("DatabaseRotationLogs", f"/aws/lambda/{function_name}")

    # ---- EC2 host ----------------------------------------------------------------------------

    def _host_log_groups(self) -> dict[str, logs.LogGroup]:
        p = self.cfg.prefix
        return {
            "app": self._log_group("HostAppLogs", f"/{p}/host/api"),
            "proxy": self._log_group("HostProxyLogs", f"/{p}/host/proxy"),
        }

    def _host(self) -> tuple[ec2.CfnEIP, ec2.Instance, iam.Role, ssm.StringParameter]:
        cfg = self.cfg
        eip = ec2.CfnEIP(self, "HostEip", domain="vpc")
        eip.apply_removal_policy(RemovalPolicy.RETAIN)  # the webhook URL and certificate use it
        public_ip = eip.attr_public_ip
        assert self.db.secret is not None
        env_lines = {
            "ENVIRONMENT": cfg.environment,
            "LOG_JSON": "true",
            "AWS_REGION": Aws.REGION,
            "RAW_BUCKET": self.raw.bucket_name,
            "PROCESSED_BUCKET": self.processed.bucket_name,
            "QUEUE_NAME": cfg.queue_name,
            "DLQ_NAME": cfg.dlq_name,
            "CALLBACK_SECRET_ID": cfg.secret_name("callback-hmac-key"),
            "TELEGRAM_BOT_TOKEN_SECRET_ID": cfg.secret_name("telegram-bot-token"),
            "TELEGRAM_WEBHOOK_SECRET_ID": cfg.secret_name("telegram-webhook-secret"),
            "JWT_SECRET_ID": cfg.secret_name("jwt-signing-key"),
            "TELEGRAM_MODE": "webhook",
            # The bot in its own container (receiptsnap bot, infra/host/deploy.sh): the webhook's
            # acknowledgement never waits behind the bot's work.
            "TELEGRAM_HANDLER": "process",
            "PUBLIC_BASE_URL": f"https://{public_ip}",
            # The Mini App (api/webapp) at its host name; none: no menu button, no "Open".
            **(
                {
                    "MINI_APP_URL": f"{cfg.mini_app_origin}/app/",
                    "RECEIPTSNAP_APP_DOMAIN": cfg.mini_app_domain,
                }
                if cfg.mini_app_domain
                else {}
            ),
            "QUESTION_READER": cfg.question_reader,
            # ECB's rates from the table infra/host/refresh-rates.sh keeps (core/fx).
            "FX_RATES": "database",
            "BEDROCK_MODEL_ID": cfg.bedrock_model_id,
            # Read by infra/host/deploy.sh, not passed to the app.
            "RECEIPTSNAP_ENV_PARAMETER": cfg.host_env_parameter,
            "RECEIPTSNAP_PUBLIC_IP": public_ip,
            "RECEIPTSNAP_DB_SECRET_ARN": self.db.secret.secret_arn,
            "RECEIPTSNAP_APP_LOG_GROUP": self.host_logs["app"].log_group_name,
            "RECEIPTSNAP_PROXY_LOG_GROUP": self.host_logs["proxy"].log_group_name,
        }
        env_parameter = ssm.StringParameter(
            self,
            "HostEnv",
            parameter_name=cfg.host_env_parameter,
            description="ReceiptSnap host settings (non-secret; secrets stay in Secrets Manager)",
            string_value="\n".join(f"{k}={v}" for k, v in env_lines.items()) + "\n",
        )

        role = iam.Role(
            self,
            "HostRole",
            role_name=f"{cfg.prefix}-host",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description="ReceiptSnap EC2 host (API + bot)",
        )
        # The policy must exist before the first boot: bootstrap.sh reads the SSM parameter.
        host_policy = self._host_policy(role, env_parameter)

        bootstrap = (HOST_DIR / "bootstrap.sh").read_text()
        bootstrap = bootstrap.replace("__ENV_PARAMETER__", cfg.host_env_parameter)
        if cfg.host_ami_id:
            image = ec2.MachineImage.generic_linux({cfg.region: cfg.host_ami_id})
        else:
            image = ec2.MachineImage.latest_amazon_linux2023(cpu_type=ec2.AmazonLinuxCpuType.ARM_64)
        host = ec2.Instance(
            self,
            "Host",
            instance_name=f"{cfg.prefix}-host",
            vpc=self.vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            instance_type=ec2.InstanceType(cfg.host_instance_type),
            machine_image=image,
            security_group=self.host_sg,
            role=role,
            user_data=ec2.UserData.custom(bootstrap),
            # IMDSv2 only (tokens required). Containers sit one network hop behind the host:
            # a hop limit of 2 lets them reach IMDSv2 for the instance role's credentials.
            http_put_response_hop_limit=2,
            http_tokens=ec2.HttpTokens.REQUIRED,
            http_endpoint=True,
            detailed_monitoring=True,
            ebs_optimized=True,
            block_devices=[
                ec2.BlockDevice(
                    device_name="/dev/xvda",
                    volume=ec2.BlockDeviceVolume.ebs(
                        cfg.host_volume_gb,
                        volume_type=ec2.EbsDeviceVolumeType.GP3,
                        encrypted=True,
                        kms_key=self.key,
                        delete_on_termination=True,
                    ),
                )
            ],
        )
        host.node.add_dependency(env_parameter, host_policy)
        # The CD's deploy role may send the deploy document only to an instance with this tag.
        Tags.of(host).add(*cfg.host_deploy_tag)
        ec2.CfnEIPAssociation(
            self,
            "HostEipAssociation",
            allocation_id=eip.attr_allocation_id,
            instance_id=host.instance_id,
        )
        checkov_skip(
            host,
            CKV_AWS_88="The webhook needs a public address (an Elastic IP); the security group "
            "admits only Telegram's published ranges on 443.",
        )
        return eip, host, role, env_parameter

    def _host_policy(self, role: iam.Role, env_parameter: ssm.StringParameter) -> iam.Policy:
        cfg = self.cfg
        raw_objects = self.raw.arn_for_objects(f"{RAW_PREFIX}*")
        processed_objects = [self.processed.arn_for_objects(f"{p}*") for p in PROCESSED_PREFIXES]
        statements = [
            iam.PolicyStatement(
                sid="RawUploadsPresignHeadSniffDelete",
                # PutObject: presigned uploads are signed with this role. GetObject: HEAD
                # (size) and the first bytes (file type) on submit. DeleteObject and
                # DeleteObjectVersion: deleting a receipt or a user erases every version of
                # its files (DeleteObjects with VersionId; docs/deploy.md).
                actions=[
                    "s3:PutObject",
                    "s3:GetObject",
                    "s3:DeleteObject",
                    "s3:DeleteObjectVersion",
                ],
                resources=[raw_objects],
            ),
            iam.PolicyStatement(
                sid="RawBucketExistenceChecks",
                # HeadBucket (/readyz) and a 404 rather than a 403 for a missing upload.
                actions=["s3:ListBucket"],
                resources=[self.raw.bucket_arn],
            ),
            iam.PolicyStatement(
                sid="ListVersionsToErase",
                # ListObjectVersions (a bucket-level action): the versions and delete markers
                # of a deleted receipt's or user's objects, to erase them one by one.
                actions=["s3:ListBucketVersions"],
                resources=[self.raw.bucket_arn, self.processed.bucket_arn],
            ),
            iam.PolicyStatement(
                sid="ProcessedReadDelete",
                # GetObject: the Mini App's thumbnails are presigned with this role.
                # DeleteObjectVersion: a deleted receipt's processed JSON, thumbnail and OCR
                # cache entries are erased with every noncurrent version and delete marker.
                actions=["s3:GetObject", "s3:DeleteObject", "s3:DeleteObjectVersion"],
                resources=processed_objects,
            ),
            iam.PolicyStatement(
                sid="SendJobs",
                actions=["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"],
                resources=[self.queue.queue_arn],
            ),
            iam.PolicyStatement(
                sid="RedriveDeadLetters",
                # The admin API's DLQ depth, peek and redrive (receive, send to the queue, delete).
                actions=[
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueUrl",
                    "sqs:GetQueueAttributes",
                ],
                resources=[self.dlq.queue_arn],
            ),
            iam.PolicyStatement(
                sid="ReadOwnSecrets",
                actions=["secretsmanager:GetSecretValue"],
                resources=[
                    self.secrets["callback"].secret_arn,
                    self.secrets["webhook"].secret_arn,
                    self.secrets["jwt"].secret_arn,
                    self.secrets["bot_token"].secret_arn,
                    self.db.secret.secret_arn,  # type: ignore[union-attr]
                ],
            ),
            self._data_key_statement("s3", "sqs", "secretsmanager"),
            self._write_logs_statement(*self.host_logs.values()),
            iam.PolicyStatement(
                sid="ReadHostSettings",
                actions=["ssm:GetParameter"],
                resources=[env_parameter.parameter_arn],
            ),
        ]
        if cfg.question_reader == "bedrock":
            statements.append(
                iam.PolicyStatement(
                    sid="BedrockQuestionModel",
                    # Questions in plain words (core/questions/bedrock.py): Converse on the
                    # configured model only.
                    actions=["bedrock:InvokeModel"],
                    resources=self._bedrock_model_arns(cfg.bedrock_model_id),
                )
            )
            statements.append(self._bedrock_lifecycle_statement("BedrockModelLifecycle"))
        statements += [
            iam.PolicyStatement(
                sid="SessionManagerInsteadOfSsh",
                # The minimum for Session Manager (no Run Command, no patching, no S3).
                # These actions support no resource-level permissions.
                actions=[
                    "ssm:UpdateInstanceInformation",
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                ],
                resources=["*"],
            ),
        ]
        policy = iam.Policy(
            self, "HostPolicy", policy_name=f"{cfg.prefix}-host", statements=statements
        )
        policy.attach_to_role(role)
        checkov_skip(
            policy,
            CKV_AWS_111="The only write actions on Resource '*' are Session Manager's "
            "(ssm:UpdateInstanceInformation, ssmmessages:*Channel), which AWS documents with "
            "'*' and which replace SSH; every other write is scoped to this stack's ARNs.",
        )
        return policy

    # ---- processor Lambda --------------------------------------------------------------------

    def _processor(self, lambda_zip: Path) -> tuple[lambda_.Function, logs.LogGroup]:
        cfg = self.cfg
        log_group = self._log_group("ProcessorLogs", f"/aws/lambda/{cfg.function_name}")
        role = iam.Role(
            self,
            "ProcessorRole",
            role_name=f"{cfg.prefix}-processor",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="ReceiptSnap processor Lambda",
        )
        for statement in self._processor_statements(log_group):
            role.add_to_policy(statement)

        environment = {
            "ENVIRONMENT": cfg.environment,
            "LOG_JSON": "true",
            "RAW_BUCKET": self.raw.bucket_name,
            "PROCESSED_BUCKET": self.processed.bucket_name,
            "QUEUE_NAME": cfg.queue_name,
            "DLQ_NAME": cfg.dlq_name,
            "CALLBACK_SECRET_ID": cfg.secret_name("callback-hmac-key"),
            "CALLBACK_URL": (
                f"http://{self.host.instance_private_ip}:{CALLBACK_PORT}"
                "/internal/processing-results"
            ),
            "CALLBACK_TIMEOUT_SECONDS": str(cfg.callback_timeout_seconds),
            "OCR_ENGINE": cfg.ocr_engine,
            "EXTRACTOR": cfg.extractor,
            "TEXTRACT_MODE": cfg.textract_mode,
            "TEXTRACT_JOB_TIMEOUT_SECONDS": str(cfg.textract_job_timeout_seconds),
            "BEDROCK_MODEL_ID": cfg.bedrock_model_id,
            "AWS_MAX_ATTEMPTS": str(cfg.aws_max_attempts),
            "TEXTRACT_MAX_ATTEMPTS": str(cfg.textract_max_attempts),
            "BEDROCK_MAX_ATTEMPTS": str(cfg.bedrock_max_attempts),
            "RECORD_BUDGET_SECONDS": str(cfg.record_budget_seconds),
            "POWERTOOLS_SERVICE_NAME": "receiptsnap-processor",
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        }
        function = lambda_.Function(
            self,
            "Processor",
            function_name=cfg.function_name,
            description="ReceiptSnap: SQS batch -> S3 -> OCR -> extraction -> callback",
            runtime=lambda_.Runtime.PYTHON_3_12,
            architecture=lambda_.Architecture.ARM_64,
            handler="processor.handler.lambda_handler",
            code=lambda_.Code.from_asset(str(lambda_zip)),
            memory_size=cfg.lambda_memory_mb,
            timeout=Duration.seconds(cfg.lambda_timeout_seconds),
            reserved_concurrent_executions=cfg.lambda_reserved_concurrency or None,
            role=role,
            log_group=log_group,
            # JSON lines; Lambda drops application lines below INFO (docs/deploy.md).
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.INFO,
            environment=environment,
            environment_encryption=self.key,
            vpc=self.vpc,
            vpc_subnets=ec2.SubnetSelection(subnet_group_name="app"),
            security_groups=[self.lambda_sg],
        )
        # CDK adds an explicit DependsOn on the role next to the GetAtt (harmless, intended).
        cfn_lint_ignore(function, "W3005")
        checkov_skip(
            function,
            CKV_AWS_116="Invoked synchronously by the SQS event source mapping: failed "
            "messages go to the queue's DLQ (redrive policy); a function DLQ only serves "
            "asynchronous invocations.",
        )
        return function, log_group

    # ---- releases: the host through SSM, the processor through an alias ---------------------

    def _host_deploy(self) -> ssm.CfnDocument:
        """The only way a release reaches the host: an SSM Command document, run by the host's
        SSM agent as root, that fetches infra/host (an asset of this stack) and runs deploy.sh
        with one image digest. The CD's OIDC role may send this document, to this instance,
        and nothing else (receiptsnap_infra/github.py); no GitHub runner lives on the host."""
        cfg = self.cfg
        scripts = s3_assets.Asset(self, "HostScripts", path=str(HOST_DIR))
        image_pattern = r"^docker\.io/[a-z0-9][a-z0-9._/-]*@sha256:[0-9a-f]{64}$"
        content = {
            "schemaVersion": "2.2",
            "description": "ReceiptSnap: deploy one image (by digest) of the API on the host",
            "parameters": {
                "image": {
                    "type": "String",
                    "description": "docker.io/ORG/REPO@sha256:<digest>",
                    "allowedPattern": image_pattern,
                }
            },
            "mainSteps": [
                {
                    "action": "aws:runShellScript",
                    "name": "deploy",
                    "inputs": {
                        "timeoutSeconds": "1200",
                        "runCommand": [
                            "set -eu",
                            "export HOME=/root",
                            "work=$(mktemp -d)",
                            "aws s3 cp --only-show-errors --region "
                            f'{Aws.REGION} {scripts.s3_object_url} "$work/host.zip"',
                            'python3 -m zipfile -e "$work/host.zip" "$work/host"',
                            # Kept for running by hand (docs/deploy.md: set-webhook, rollback).
                            "rm -rf /opt/receiptsnap/host && "
                            'cp -r "$work/host" /opt/receiptsnap/host && rm -rf "$work"',
                            "bash /opt/receiptsnap/host/deploy.sh '{{ image }}'",
                        ],
                    },
                }
            ],
        }
        document = ssm.CfnDocument(
            self,
            "HostDeployDocument",
            name=cfg.host_deploy_document_name,
            document_type="Command",
            document_format="JSON",
            content=content,
            target_type="/AWS::EC2::Instance",
            # A named document cannot be replaced: a change becomes a new version, and the CD
            # sends $LATEST.
            update_method="NewVersion",
        )
        policy = iam.Policy(
            self,
            "HostDeployPolicy",
            policy_name=f"{cfg.prefix}-host-deploy",
            statements=[
                iam.PolicyStatement(
                    sid="RunCommandAgent",
                    # What SSM Agent needs to receive and answer Run Command (the deploy
                    # document) besides Session Manager's channels; these actions support no
                    # resource-level permissions.
                    actions=[
                        "ec2messages:AcknowledgeMessage",
                        "ec2messages:DeleteMessage",
                        "ec2messages:FailMessage",
                        "ec2messages:GetEndpoint",
                        "ec2messages:GetMessages",
                        "ec2messages:SendReply",
                    ],
                    resources=["*"],
                ),
                iam.PolicyStatement(
                    sid="ReadDeployScripts",
                    actions=["s3:GetObject"],
                    resources=[scripts.bucket.arn_for_objects(scripts.s3_object_key)],
                ),
            ],
        )
        policy.attach_to_role(self.host_role)
        CfnOutput(self, "HostDeployDocumentName", value=cfg.host_deploy_document_name)
        checkov_skip(
            policy,
            CKV_AWS_111="ec2messages:* actions (SSM Agent's Run Command channel) support no "
            "resource-level permissions; they only let the agent fetch and answer commands.",
        )
        return document

    def _processor_release(self) -> lambda_.Alias:
        """Published versions behind the alias `live`, which the SQS event source invokes. A
        new version reaches `live` through CodeDeploy: 10 % of invocations for 5 minutes, then
        all; if the alias's errors alarm fires meanwhile, CodeDeploy moves `live` back. The
        same happens for a `cdk deploy` that changes the code (CloudFormation hands the alias
        update to CodeDeploy) and for the CD's `aws deploy create-deployment`."""
        cfg = self.cfg
        alias = lambda_.Alias(
            self,
            "ProcessorLive",
            alias_name=cfg.processor_alias,
            version=self.function.current_version,
            description="What the SQS event source invokes; moved by CodeDeploy",
        )
        alias.add_event_source(
            sources.SqsEventSource(
                self.queue,
                batch_size=cfg.sqs_batch_size,
                max_batching_window=(
                    Duration.seconds(cfg.sqs_max_batching_window_seconds)
                    if cfg.sqs_max_batching_window_seconds
                    else None
                ),
                max_concurrency=cfg.sqs_max_concurrency,
                report_batch_item_failures=True,
            )
        )
        release_errors = cw.Alarm(
            self,
            "processor-release-errors",
            alarm_name=f"{cfg.prefix}-processor-release-errors",
            alarm_description="The processor's `live` alias raised during (or after) a release: "
            "CodeDeploy rolls the alias back while a deployment is in progress.",
            metric=alias.metric_errors(period=Duration.minutes(1), statistic="Sum"),
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        release_errors.add_alarm_action(cw_actions.SnsAction(self.alarm_topic))

        # CodeDeploy's service role, written out (the construct would attach the AWS-managed
        # AWSCodeDeployRoleForLambdaLimited; its actions, narrowed to this function).
        role = iam.Role(
            self,
            "ProcessorDeployRole",
            role_name=f"{cfg.prefix}-processor-codedeploy",
            assumed_by=iam.ServicePrincipal("codedeploy.amazonaws.com"),
            description="CodeDeploy: shift the processor's alias, watch its alarm",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="ShiftTheAlias",
                actions=[
                    "lambda:GetAlias",
                    "lambda:UpdateAlias",
                    "lambda:GetProvisionedConcurrencyConfig",
                ],
                resources=[self.function.function_arn, f"{self.function.function_arn}:*"],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                sid="WatchTheAlarms",
                # DescribeAlarms supports no resource-level permissions.
                actions=["cloudwatch:DescribeAlarms"],
                resources=["*"],
            )
        )
        application = codedeploy.LambdaApplication(
            self, "ProcessorDeployApplication", application_name=cfg.processor_deploy_application
        )
        group = codedeploy.LambdaDeploymentGroup(
            self,
            "ProcessorDeployGroup",
            application=application,
            deployment_group_name=cfg.processor_deploy_group,
            alias=alias,
            deployment_config=codedeploy.LambdaDeploymentConfig.CANARY_10_PERCENT_5_MINUTES,
            alarms=[release_errors],
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
            # Immutable: the construct's managed policy is not attached; ours above is.
            role=role.without_policy_updates(),
        )
        group.node.add_dependency(role)  # the role's inline policy too
        cfn_lint_ignore(group, "W3005")  # that DependsOn also covers the policy, on purpose
        if not cfg.lambda_reserved_concurrency:
            checkov_skip(
                self.function,
                CKV_AWS_115="No reservation by default: Lambda keeps 100 of the account's "
                "concurrency unreserved and new accounts may have a quota of 10, so reserving "
                "fails; the event source's maximum concurrency caps the processor instead.",
            )
        return alias

    @staticmethod
    def _bedrock_model_arns(model_id: str) -> list[str]:
        """What ``bedrock:InvokeModel`` needs for ``model_id``: the foundation model in this
        region, or a cross-region inference profile and the model it routes to."""
        partition, region, account = Aws.PARTITION, Aws.REGION, Aws.ACCOUNT_ID
        if is_inference_profile(model_id):
            return [
                f"arn:{partition}:bedrock:{region}:{account}:inference-profile/{model_id}",
                # A cross-region profile routes to the model in the regions of its geography.
                f"arn:{partition}:bedrock:*::foundation-model/{foundation_model_id(model_id)}",
            ]
        return [f"arn:{partition}:bedrock:{region}::foundation-model/{model_id}"]

    def _data_key_statement(self, *services: str) -> iam.PolicyStatement:
        """Decrypt and data keys of the stack's key, only through these services (never
        directly)."""
        return iam.PolicyStatement(
            sid="UseDataKeyThroughServices",
            actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=[self.key.key_arn],
            conditions={
                "StringEquals": {
                    "kms:ViaService": [f"{name}.{Aws.REGION}.amazonaws.com" for name in services]
                }
            },
        )

    @staticmethod
    def _write_logs_statement(*groups: logs.LogGroup) -> iam.PolicyStatement:
        """Streams and events in these log groups only."""
        return iam.PolicyStatement(
            sid="WriteOwnLogs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[g.log_group_arn for g in groups]
            + [f"{g.log_group_arn}:log-stream:*" for g in groups],
        )

    def _bedrock_lifecycle_statement(self, sid: str) -> iam.PolicyStatement:
        """Read-only, for the lifecycle check at start (core/aws/models.py): GetInferenceProfile
        on the profile, GetFoundationModel on the model(s) behind it."""
        return iam.PolicyStatement(
            sid=sid,
            actions=["bedrock:GetFoundationModel", "bedrock:GetInferenceProfile"],
            resources=self._bedrock_model_arns(self.cfg.bedrock_model_id),
        )

    def _processor_statements(self, log_group: logs.LogGroup) -> list[iam.PolicyStatement]:
        cfg = self.cfg
        partition, region, account = Aws.PARTITION, Aws.REGION, Aws.ACCOUNT_ID
        models = self._bedrock_model_arns(cfg.bedrock_model_id)
        subnet_arns = [
            f"arn:{partition}:ec2:{region}:{account}:subnet/{s.subnet_id}"
            for s in self.vpc.select_subnets(subnet_group_name="app").subnets
        ]
        eni = f"arn:{partition}:ec2:{region}:{account}:network-interface/*"
        sg_arn = (
            f"arn:{partition}:ec2:{region}:{account}:security-group/"
            f"{self.lambda_sg.security_group_id}"
        )
        return [
            iam.PolicyStatement(
                sid="ReadRaw",
                actions=["s3:GetObject"],
                resources=[self.raw.arn_for_objects(f"{RAW_PREFIX}*")],
            ),
            iam.PolicyStatement(
                sid="BucketsExistenceChecks",
                # A missing object answers 404 (not 403) only with ListBucket: the pipeline's
                # "already processed?" check depends on it.
                actions=["s3:ListBucket"],
                resources=[self.raw.bucket_arn, self.processed.bucket_arn],
            ),
            iam.PolicyStatement(
                sid="WriteProcessed",
                # PutObject: results, OCR cache entries, thumbnails. GetObject: an at-least-once
                # repeat reads the stored result; DeleteObject: the OCR cache entry is dropped
                # once the result is stored.
                actions=["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
                resources=[self.processed.arn_for_objects(f"{p}*") for p in PROCESSED_PREFIXES],
            ),
            iam.PolicyStatement(
                sid="Textract",
                # Textract supports no resource-level permissions.
                actions=[
                    "textract:AnalyzeExpense",
                    "textract:DetectDocumentText",
                    "textract:StartExpenseAnalysis",
                    "textract:GetExpenseAnalysis",
                    "textract:StartDocumentTextDetection",
                    "textract:GetDocumentTextDetection",
                ],
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="BedrockConfiguredModel",
                actions=["bedrock:InvokeModel"],
                resources=models,
            ),
            self._bedrock_lifecycle_statement("BedrockModelLifecycle"),
            iam.PolicyStatement(
                sid="ReadCallbackKey",
                actions=["secretsmanager:GetSecretValue"],
                resources=[self.secrets["callback"].secret_arn],
            ),
            self._data_key_statement("s3", "sqs", "secretsmanager", "lambda"),
            self._write_logs_statement(log_group),
            iam.PolicyStatement(
                sid="VpcNetworkInterfaces",
                # What Lambda needs to attach the function to the VPC, scoped to its subnets,
                # its security group and network interfaces of this account and region.
                actions=["ec2:CreateNetworkInterface"],
                resources=[eni, sg_arn, *subnet_arns],
            ),
            iam.PolicyStatement(
                sid="VpcNetworkInterfacesManage",
                actions=[
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                resources=[eni],
            ),
            iam.PolicyStatement(
                sid="VpcNetworkInterfacesDescribe",
                # Describe* calls support no resource-level permissions.
                actions=["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
                resources=["*"],
            ),
        ]

    # ---- alarms and dashboard ----------------------------------------------------------------

    def _alarms_and_dashboard(self) -> None:
        cfg = self.cfg
        action = cw_actions.SnsAction(self.alarm_topic)
        five_min = Duration.minutes(5)

        def alarm(
            cid: str,
            metric: cw.IMetric,
            *,
            threshold: float,
            evaluation_periods: int = 1,
            description: str,
            missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING,
        ) -> cw.Alarm:
            a = cw.Alarm(
                self,
                cid,
                alarm_name=f"{cfg.prefix}-{cid}",
                alarm_description=description,
                metric=metric,
                threshold=threshold,
                evaluation_periods=evaluation_periods,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=missing,
            )
            a.add_alarm_action(action)
            a.add_ok_action(action)
            return a

        dlq_depth = self.dlq.metric_approximate_number_of_messages_visible(
            period=Duration.minutes(1), statistic="Maximum"
        )
        oldest = self.queue.metric_approximate_age_of_oldest_message(
            period=Duration.minutes(1), statistic="Maximum"
        )
        errors = self.function.metric_errors(period=five_min, statistic="Sum")
        # The processor's EMF metrics (processor/metrics.py): receipts done and failed.
        processor_dims = {"service": "receiptsnap-processor"}
        done = cw.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name="ReceiptsDone",
            dimensions_map=processor_dims,
            statistic="Sum",
            period=five_min,
        )
        failed = cw.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name="ReceiptsFailed",
            dimensions_map=processor_dims,
            statistic="Sum",
            period=five_min,
        )
        failure_rate = cw.MathExpression(
            expression="IF(done + failed >= 5, 100 * failed / (done + failed), 0)",
            using_metrics={"done": done, "failed": failed},
            label="failed %",
            period=five_min,
        )
        fallbacks = cw.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name="ReceiptsFallback",
            dimensions_map=processor_dims,
            statistic="Sum",
            period=five_min,
        )
        fallback_rate = cw.MathExpression(
            expression="IF(done >= 5, 100 * fallbacks / done, 0)",
            using_metrics={"done": done, "fallbacks": fallbacks},
            label="read by the rules %",
            period=five_min,
        )
        throttles = self.function.metric_throttles(period=five_min, statistic="Sum")

        # The proxy's JSON access log gives requests and 5xx answers.
        proxy_logs = self.host_logs["proxy"]
        logs.MetricFilter(
            self,
            "Http5xxFilter",
            log_group=proxy_logs,
            filter_pattern=logs.FilterPattern.number_value("$.status", ">=", 500),
            metric_namespace=METRICS_NAMESPACE,
            metric_name="Http5xx",
            metric_value="1",
            default_value=0,
        )
        logs.MetricFilter(
            self,
            "HttpRequestsFilter",
            log_group=proxy_logs,
            filter_pattern=logs.FilterPattern.number_value("$.status", ">=", 100),
            metric_namespace=METRICS_NAMESPACE,
            metric_name="HttpRequests",
            metric_value="1",
            default_value=0,
        )
        http_5xx = cw.Metric(
            namespace=METRICS_NAMESPACE, metric_name="Http5xx", statistic="Sum", period=five_min
        )
        http_all = cw.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name="HttpRequests",
            statistic="Sum",
            period=five_min,
        )
        rate_5xx = cw.MathExpression(
            expression="IF(requests >= 5, 100 * errors / requests, 0)",
            using_metrics={"errors": http_5xx, "requests": http_all},
            label="5xx %",
            period=five_min,
        )
        host_status = cw.Metric(
            namespace="AWS/EC2",
            metric_name="StatusCheckFailed",
            dimensions_map={"InstanceId": self.host.instance_id},
            statistic="Maximum",
            period=Duration.minutes(1),
        )
        system_status = cw.Metric(
            namespace="AWS/EC2",
            metric_name="StatusCheckFailed_System",
            dimensions_map={"InstanceId": self.host.instance_id},
            statistic="Maximum",
            period=Duration.minutes(1),
        )

        # Counted in embedded metric format by core/aws/models.py: a Converse call refused for
        # the model itself (retired, unknown, not granted), or the start-up lifecycle check
        # finding it missing or past its end of life. Receipts still finish (the rules read
        # them), so nothing else would tell.
        alarm(
            "bedrock-model-unavailable",
            cw.Metric(
                namespace=METRICS_NAMESPACE,
                metric_name="BedrockModelUnavailable",
                dimensions_map={"Model": cfg.bedrock_model_id},
                period=five_min,
                statistic="Sum",
            ),
            threshold=1,
            description=f"Bedrock model {cfg.bedrock_model_id} cannot be called: receipts are "
            "read by the rules. Set bedrockModelId to an active model (docs/aws-engines.md).",
        )
        alarm(
            "dlq-not-empty",
            dlq_depth,
            threshold=1,
            description="A receipt job failed 5 times and sits in the DLQ: inspect, fix, redrive.",
        )
        alarm(
            "processor-errors",
            errors,
            threshold=1,
            description="The processor Lambda raised (crash or timeout), not a per-record failure.",
        )
        alarm(
            "processor-throttles",
            throttles,
            threshold=5,
            description="The processor is throttled (reserved concurrency too low?).",
        )
        alarm(
            "oldest-job-age",
            oldest,
            threshold=cfg.oldest_message_age_alarm_seconds,
            evaluation_periods=3,
            description="Jobs wait in the queue: the processor is down, slow or throttled.",
        )
        alarm(
            "receipt-failure-rate",
            failure_rate,
            threshold=cfg.receipt_failure_rate_alarm_percent,
            evaluation_periods=2,
            description="More receipts than the threshold's share fail (of 5 or more in 5 min): "
            "a broken engine, a bad deploy, or users sending what is not a receipt.",
        )
        alarm(
            "extractor-fallback-rate",
            fallback_rate,
            threshold=cfg.extractor_fallback_rate_alarm_percent,
            evaluation_periods=2,
            description="More done receipts than the threshold's share were read by the rules "
            "because the model could not be used: Bedrock throttling past its retries, answers "
            "failing validation, or the model refused (ExtractorFallback by Reason says which).",
        )
        alarm(
            "http-5xx-rate",
            rate_5xx,
            threshold=cfg.http_5xx_rate_alarm_percent,
            description="The API answers 5xx to more than the threshold's share of requests.",
        )
        alarm(
            "host-status-check",
            host_status,
            threshold=1,
            evaluation_periods=2,
            description="The EC2 host fails its status checks.",
            missing=cw.TreatMissingData.BREACHING,
        )
        recover = alarm(
            "host-system-recover",
            system_status,
            threshold=1,
            evaluation_periods=2,
            description="AWS-side failure of the host: EC2 recovers it onto new hardware.",
        )
        recover.add_alarm_action(cw_actions.Ec2Action(cw_actions.Ec2InstanceAction.RECOVER))
        db_low_storage = cw.Alarm(
            self,
            "db-free-storage",
            alarm_name=f"{cfg.prefix}-db-free-storage",
            alarm_description="Less than 2 GiB free on the database.",
            metric=self.db.metric_free_storage_space(period=five_min, statistic="Minimum"),
            threshold=2 * 1024**3,
            evaluation_periods=1,
            comparison_operator=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        db_low_storage.add_alarm_action(action)

        dashboard = cw.Dashboard(
            self, "Dashboard", dashboard_name=f"{cfg.prefix}-{cfg.environment}"
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Queue",
                left=[
                    self.queue.metric_approximate_number_of_messages_visible(
                        period=Duration.minutes(1)
                    ),
                    self.queue.metric_approximate_number_of_messages_not_visible(
                        period=Duration.minutes(1)
                    ),
                    dlq_depth.with_(label="DLQ"),
                ],
                right=[oldest.with_(label="oldest message age (s)")],
            ),
            cw.GraphWidget(
                title="Processor",
                left=[
                    self.function.metric_invocations(period=five_min),
                    errors.with_(label="errors"),
                    throttles.with_(label="throttles"),
                ],
                right=[
                    self.function.metric_duration(period=five_min, statistic="p95"),
                ],
            ),
            cw.GraphWidget(
                title="Receipts",
                left=[
                    done.with_(label="done"),
                    failed.with_(label="failed"),
                    fallbacks.with_(label="read by the rules"),
                ],
                right=[failure_rate, fallback_rate],
            ),
            cw.GraphWidget(
                title="API (proxy)",
                left=[http_all.with_(label="requests"), http_5xx.with_(label="5xx")],
                right=[rate_5xx],
            ),
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Host",
                left=[
                    cw.Metric(
                        namespace="AWS/EC2",
                        metric_name="CPUUtilization",
                        dimensions_map={"InstanceId": self.host.instance_id},
                        period=five_min,
                    )
                ],
                right=[host_status],
            ),
            cw.GraphWidget(
                title="Database",
                left=[self.db.metric_cpu_utilization(period=five_min)],
                right=[
                    self.db.metric_database_connections(period=five_min),
                    self.db.metric_free_storage_space(period=five_min),
                ],
            ),
            cw.AlarmStatusWidget(
                title="Alarms",
                alarms=[a for a in self.node.children if isinstance(a, cw.Alarm)],
            ),
        )

    # ---- outputs -----------------------------------------------------------------------------

    def _outputs(self) -> None:
        assert self.db.secret is not None
        outputs = {
            "HostPublicIp": self.eip.attr_public_ip,
            "WebhookUrl": f"https://{self.eip.attr_public_ip}/telegram/webhook",
            "HostInstanceId": self.host.instance_id,
            "RawBucketName": self.raw.bucket_name,
            "ProcessedBucketName": self.processed.bucket_name,
            "QueueUrl": self.queue.queue_url,
            "DeadLetterQueueUrl": self.dlq.queue_url,
            "ProcessorFunctionName": self.function.function_name,
            "DatabaseEndpoint": self.db.db_instance_endpoint_address,
            "DatabaseSecretArn": self.db.secret.secret_arn,
            "BotTokenSecretName": self.cfg.secret_name("telegram-bot-token"),
            "AlarmTopicArn": self.alarm_topic.topic_arn,
            "HostEnvParameter": self.cfg.host_env_parameter,
        }
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)
