// Known answers for the provider signatures, taken from the providers' own documents, so they do
// not share our reading of the docs the way our fake providers do (test/support/fake-*).
//  - Aliyun POP (RPC) signature v1, SMS document "HTTP 协议及签名" (help.aliyun.com/document_detail/56189):
//    SendSms with AccessKeyId testId / AccessKeySecret testSecret; the document prints the string
//    to sign, the signature and the signed GET URL.
//  - Aliyun's general RPC signature document (DescribeRegions, testid / testsecret).
//  - Tencent Cloud API 3.0 "Signature v3" (TC3-HMAC-SHA256) document, its worked example: CVM
//    DescribeInstances at timestamp 1551113065 with the document's (masked) SecretId/SecretKey,
//    signed headers content-type;host.
import t from 'tap';
import { aliyunCanonicalQuery, aliyunPercentEncode, aliyunSignature, tc3Authorization } from '../../src/channels/signing.js';

t.test('Aliyun SendSms: the SMS document\'s example gives its string to sign, signature and URL', async (t) => {
  const params = {
    AccessKeyId: 'testId',
    Action: 'SendSms',
    Format: 'XML',
    OutId: '123',
    PhoneNumbers: '15300000001',
    RegionId: 'cn-hangzhou',
    SignName: '阿里云短信测试专用',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: '45e25e9b-0a6f-4070-8c85-2956eda1b466',
    SignatureVersion: '1.0',
    TemplateCode: 'SMS_71390007',
    TemplateParam: '{"customer":"test"}',
    Timestamp: '2017-07-12T02:42:19Z',
    Version: '2017-05-25',
  };
  t.equal(
    `GET&${aliyunPercentEncode('/')}&${aliyunPercentEncode(aliyunCanonicalQuery(params))}`,
    'GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25',
    'the documented string to sign',
  );
  const signature = aliyunSignature('GET', params, 'testSecret');
  t.equal(signature, 'zJDF+Lrzhj/ThnlvIToysFRq6t4=', 'the documented signature');
  // aliyun-sms.ts sends `Signature=<encoded>&<canonical query>`, which is the documented URL.
  t.equal(
    `http://dysmsapi.aliyuncs.com/?Signature=${aliyunPercentEncode(signature)}&${aliyunCanonicalQuery(params)}`,
    'http://dysmsapi.aliyuncs.com/?Signature=zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D&AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001&RegionId=cn-hangzhou&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95%E4%B8%93%E7%94%A8&SignatureMethod=HMAC-SHA1&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466&SignatureVersion=1.0&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%7D&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25',
    'the documented signed GET URL',
  );
  t.equal(aliyunSignature('GET', { ...params, Signature: 'stale' }, 'testSecret'), signature, 'a Signature parameter is not signed');
});

t.test('Aliyun RPC signature: the general document\'s DescribeRegions example', async (t) => {
  const params = {
    Timestamp: '2016-02-23T12:46:24Z',
    Format: 'XML',
    AccessKeyId: 'testid',
    Action: 'DescribeRegions',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
    Version: '2014-05-26',
    SignatureVersion: '1.0',
  };
  t.equal(aliyunSignature('GET', params, 'testsecret'), 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
});

t.test('Tencent TC3-HMAC-SHA256: the Signature v3 document\'s worked example', async (t) => {
  const authorization = tc3Authorization({
    secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******',
    secretKey: 'Gu5t9xGARNpq86cd98joQYCN3*******',
    service: 'cvm',
    timestamp: 1551113065,
    headers: { 'Content-Type': 'application/json; charset=utf-8', Host: 'cvm.tencentcloudapi.com' },
    // The document's payload, byte for byte (its \u escapes are part of the signed text).
    payload: '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}',
  });
  t.equal(
    authorization,
    'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c',
  );
});
