# A real S3-compatible server for the tests: moto, on loopback, with every request's signature checked.
# Prints one JSON line (endpoint, key pair, bucket), then serves until its standard input closes.
# With "put ENDPOINT ACCESS_KEY SECRET_KEY BUCKET KEY TEXT" it writes TEXT under KEY instead (through boto3).
import json, os, sys
if sys.argv[1:2] == ["put"]:
    import boto3
    endpoint, access, secret, bucket, key, text = sys.argv[2:8]
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=access,
                 aws_secret_access_key=secret).put_object(Bucket=bucket, Key=key, Body=text.encode())
    sys.exit(0)
os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "3"  # the three IAM calls below; every request after them is authenticated
from moto.server import ThreadedMotoServer
import boto3

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
endpoint = f"http://127.0.0.1:{port}"
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
iam.create_user(UserName="mlgate")
key = iam.create_access_key(UserName="mlgate")["AccessKey"]
iam.put_user_policy(UserName="mlgate", PolicyName="all", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
s3.create_bucket(Bucket="mlgate-test")
print(json.dumps({"endpoint": endpoint, "access_key": key["AccessKeyId"], "secret_key": key["SecretAccessKey"],
                  "bucket": "mlgate-test"}), flush=True)
sys.stdin.read()
server.stop()
