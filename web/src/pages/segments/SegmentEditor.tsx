import { ArrowLeftOutlined, DownloadOutlined, SaveOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Col, Form, Input, Row, Statistic, Table, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { type Answer, api, apiUrl } from '../../api';
import { LifecycleTag, RfmTag } from '../../components/labels';
import { RuleBuilder } from '../../components/RuleBuilder';
import { ErrorBox, Loading } from '../../components/Status';
import { count, date, money } from '../../format';
import { useApi, useDebounced } from '../../hooks';
import { PageHeader } from '../../layout/Shell';
import { useLeaveGuard } from '../../leave-guard';
import { fromRule, incompleteConditions, newCondition, newGroup, toRule, type GroupNode } from '../../rules';

type Evaluation = Answer<'/segments/evaluate', 'post'>;
import { segmentPath } from '../../paths';
import { can, useMe } from '../../session';
import { segmentName } from '../../segment-names';
import { errorText } from '../../errors';
import { SegmentActions } from './SegmentActions';

export default function SegmentEditor() {
  const { id } = useParams();
  const { t, i18n } = useTranslation();
  // The export's headers and values follow the console's language (the browser's may differ).
  const exportLang = i18n.language === 'en' ? 'en' : 'zh-CN';
  const { message } = App.useApp();
  const navigate = useNavigate();
  const fields = useApi('/segments/fields');
  const tags = useApi('/tags');
  const groups = useApi('/groups');
  const options = useApi('/segments/options');
  const segment = useApi(id ? '/segments/{id}' : null, { params: { id: id ?? '' } });
  const [root, setRoot] = useState<GroupNode | null>(null);
  const [form] = Form.useForm<{ name: string; description?: string }>();
  const [result, setResult] = useState<Evaluation | null>(null);
  const [evalError, setEvalError] = useState<string | null>(null);
  const [counting, setCounting] = useState(false);
  const [saving, setSaving] = useState(false);
  // What was loaded (or last saved): the rule as JSON, and whether the name/description were edited since.
  const [baseline, setBaseline] = useState<string | null>(null);
  const [formDirty, setFormDirty] = useState(false);
  // Export and save are offered to the roles that may (an agent's CSV click opened the server's refusal as a page).
  const me = useMe();

  useEffect(() => {
    if (!fields.data || root) return;
    if (id && !segment.data) return;
    if (segment.data) {
      const loaded = fromRule(segment.data.rule);
      setRoot(loaded);
      setBaseline(JSON.stringify(toRule(loaded)));
      form.setFieldsValue({
        name: segment.data.system ? `${segmentName(t, segment.data)} ${t('segments.copySuffix')}` : segment.data.name,
        description: segment.data.description ?? undefined,
      });
    } else {
      const f = fields.data.fields.find((x) => x.name === 'total_spent')!;
      const fresh = newGroup('all', [{ ...newCondition(f), op: 'gte', value: 50000 }]);
      setRoot(fresh);
      setBaseline(JSON.stringify(toRule(fresh)));
    }
  }, [fields.data, segment.data, id, root, form, t]);

  const ruleJson = useMemo(() => (root ? JSON.stringify(toRule(root)) : 'null'), [root]);
  const incomplete = useMemo(() => (root ? incompleteConditions(root) : []), [root]);
  const { markClean } = useLeaveGuard(baseline !== null && (ruleJson !== baseline || formDirty));
  const debounced = useDebounced(ruleJson, 400);
  useEffect(() => {
    if (debounced === 'null') {
      setResult(null);
      return;
    }
    const ctl = new AbortController();
    setCounting(true);
    api
      .post('/segments/evaluate', { rule: JSON.parse(debounced), limit: 10 }, { signal: ctl.signal })
      .then((r) => {
        setResult(r);
        setEvalError(null);
      })
      .catch((e: Error) => e.name !== 'AbortError' && setEvalError(errorText(e)))
      .finally(() => setCounting(false));
    return () => ctl.abort();
  }, [debounced]);

  if (fields.error) return <ErrorBox error={fields.error} onRetry={fields.reload} />;
  if (segment.error) return <ErrorBox error={segment.error} onRetry={segment.reload} />;
  if (!root || !fields.data) return <Loading />;
  const isSystem = segment.data?.system ?? false;

  const save = async () => {
    let v: { name: string; description?: string };
    try {
      v = await form.validateFields();
    } catch {
      return; // the form shows what is missing
    }
    const rule = toRule(root);
    if (!rule) {
      void message.warning(t('segments.needCondition'));
      return;
    }
    setSaving(true);
    try {
      const body = { name: v.name, description: v.description ?? null, rule };
      const saved =
        id && !isSystem ? await api.put('/segments/{id}', body, { params: { id } }) : await api.post('/segments', body);
      void message.success(t('common.saved'));
      markClean();
      setBaseline(ruleJson);
      setFormDirty(false);
      if (saved.id !== id) void navigate(segmentPath(saved.id), { replace: true });
      else segment.reload();
    } catch (e) {
      void message.error(errorText(e));
    } finally {
      setSaving(false);
    }
  };

  return (
    <>
      <Link to="/segments">
        <ArrowLeftOutlined /> {t('segments.back')}
      </Link>
      <PageHeader
        title={id ? (isSystem && segment.data ? segmentName(t, segment.data) : t('segments.edit')) : t('segments.new')}
        subtitle={isSystem ? t('segments.systemHint') : t('segments.editorHint')}
        extra={
          <>
            {id && can(me, 'export') && (
              <>
                <Button
                  icon={<DownloadOutlined />}
                  href={apiUrl('/segments/{id}/export.csv', { id }, { lang: exportLang })}
                >
                  CSV
                </Button>
                <Button
                  icon={<DownloadOutlined />}
                  href={apiUrl('/segments/{id}/export.xlsx', { id }, { lang: exportLang })}
                >
                  Excel
                </Button>
              </>
            )}
            {can(me, 'segments:write') && (
              <Button
                type="primary"
                icon={<SaveOutlined />}
                loading={saving}
                onClick={() => void save()}
                data-testid="save-segment"
              >
                {isSystem ? t('segments.saveAsNew') : t('common.save')}
              </Button>
            )}
          </>
        }
      />
      <Row gutter={16}>
        <Col xs={24} xl={16}>
          <Card size="small" style={{ marginBottom: 16 }}>
            <Form form={form} layout="inline" style={{ rowGap: 8 }} onValuesChange={() => setFormDirty(true)}>
              <Form.Item
                name="name"
                label={t('segments.name')}
                rules={[{ required: true, whitespace: true, message: t('segments.nameRequired') }]}
              >
                <Input style={{ width: 240 }} maxLength={60} data-testid="segment-name" />
              </Form.Item>
              <Form.Item name="description" label={t('segments.description')}>
                <Input style={{ width: 320 }} maxLength={500} />
              </Form.Item>
            </Form>
          </Card>
          <Card size="small" title={t('segments.conditions')}>
            <RuleBuilder
              root={root}
              fields={fields.data.fields}
              tagNames={(tags.data?.items ?? []).map((x) => x.name)}
              groupNames={(groups.data?.items ?? []).map((x) => x.name)}
              options={options.data ?? { provinces: [], cities: [], categories: [], activities: [], sources: [] }}
              onChange={setRoot}
            />
            {incomplete.length > 0 && (
              <Alert
                type="warning"
                showIcon
                style={{ marginTop: 8 }}
                data-testid="rule-incomplete"
                message={incomplete
                  .map((c) => t(`segments.incomplete.${c.missing}`, { n: c.index }))
                  .join(t('common.listSeparator'))}
              />
            )}
          </Card>
        </Col>
        <Col xs={24} xl={8}>
          <Card size="small" style={{ marginBottom: 16, position: 'sticky', top: 16 }}>
            <Statistic
              title={t('segments.liveCount')}
              value={result ? count(result.count) : '—'}
              loading={counting && !result}
              suffix={t('segments.people')}
              valueStyle={{ color: '#fa541c', fontSize: 32 }}
            />
            <div data-testid="live-count" data-count={result?.count ?? ''} style={{ display: 'none' }} />
            {evalError && (
              <Alert type="error" showIcon message={evalError} style={{ marginTop: 12 }} data-testid="rule-error" />
            )}
            <Typography.Text type="secondary" style={{ display: 'block', marginTop: 8 }}>
              {t('segments.liveHint')}
            </Typography.Text>
          </Card>
        </Col>
      </Row>
      {id && segment.data && <SegmentActions audience={{ id: segment.data.id, name: segmentName(t, segment.data) }} />}
      <Card size="small" title={t('segments.preview')} style={{ marginTop: 16 }}>
        <Table<Evaluation['preview'][number]>
          rowKey="id"
          size="small"
          pagination={false}
          dataSource={result?.preview ?? []}
          onRow={(r) => ({ onClick: () => navigate(`/customers/${r.id}`), className: 'clickable-row' })}
          columns={[
            { title: t('customers.customer'), dataIndex: 'name' },
            { title: t('customers.phone'), dataIndex: 'phone', render: (v) => v ?? '—' },
            { title: t('customers.region'), render: (_, r) => [r.province, r.city].filter(Boolean).join(' ') || '—' },
            { title: t('customers.paidOrders'), align: 'right', dataIndex: 'paidOrders' },
            { title: t('customers.totalSpent'), align: 'right', render: (_, r) => money(r.totalSpentFen) },
            { title: t('customers.lastPaid'), render: (_, r) => date(r.lastPaidAt) },
            { title: t('customers.rfm'), render: (_, r) => <RfmTag value={r.rfmClass} /> },
            { title: t('customers.lifecycle'), render: (_, r) => <LifecycleTag value={r.lifecycle} /> },
          ]}
        />
      </Card>
    </>
  );
}
