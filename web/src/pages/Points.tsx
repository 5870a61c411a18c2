import { GiftOutlined, PlusOutlined, SendOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  Card,
  Col,
  Form,
  Input,
  InputNumber,
  Modal,
  Radio,
  Row,
  Select,
  Space,
  Statistic,
  Switch,
  Table,
  Tag,
} from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, api } from '../api';
import { ArchiveButton, ShowArchivedSwitch } from '../components/Archive';
import { Chart, type ChartOption } from '../components/Chart';
import { GrantPointsModal } from '../components/AudienceActions';
import { EmptyState, ErrorBox, Loading } from '../components/Status';
import { count, money } from '../format';
import { useAction, useApi } from '../hooks';
import { can, useMe } from '../session';
import { PageHeader } from '../layout/Shell';

type Reward = Answer<'/points/rewards'>['items'][number];

export default function Points() {
  const { t } = useTranslation();
  // Granting points and the rewards catalogue need points:write (an analyst only reads).
  const writes = can(useMe(), 'points:write');
  const [grantOpen, setGrantOpen] = useState(false);
  const [rewardOpen, setRewardOpen] = useState(false);
  const [editingReward, setEditingReward] = useState<Reward | null>(null);
  const [showArchived, setShowArchived] = useState(false);
  const liability = useApi('/points/liability');
  const rewards = useApi('/points/rewards', { query: { archived: showArchived ? 'true' : 'false' } });
  const { message } = App.useApp();
  const { run } = useAction();
  const archiveReward = (r: Reward) =>
    run(async () => {
      await api.delete('/points/rewards/{id}', { params: { id: r.id } });
      void message.success(t('catalogue.archivedDone'));
      rewards.reload();
    });
  const chart = useMemo<ChartOption | null>(() => {
    if (!liability.data) return null;
    const rows = liability.data.items;
    return {
      color: ['#fa541c', '#ffbb96'],
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 8, right: 20, top: 30, bottom: 8 },
      xAxis: { type: 'category', data: rows.map((r) => r.expiresIn) },
      yAxis: { type: 'value' },
      series: [
        { name: t('points.spendable'), type: 'bar', stack: 'p', barMaxWidth: 48, data: rows.map((r) => r.spendable) },
        { name: t('points.pending'), type: 'bar', stack: 'p', data: rows.map((r) => r.pending) },
      ],
    };
  }, [liability.data, t]);
  return (
    <>
      <PageHeader
        title={t('menu.points')}
        subtitle={t('points.subtitle')}
        extra={
          writes && (
            <Button type="primary" icon={<SendOutlined />} onClick={() => setGrantOpen(true)}>
              {t('points.grant')}
            </Button>
          )
        }
      />
      <Row gutter={16}>
        <Col xs={24} xl={15}>
          <Card size="small" title={t('points.liability')} style={{ marginBottom: 16 }}>
            {liability.error && <ErrorBox error={liability.error} onRetry={liability.reload} />}
            {liability.data && chart ? (
              <>
                <Row gutter={16} style={{ marginBottom: 8 }}>
                  <Col span={8}>
                    <Statistic title={t('points.outstanding')} value={count(liability.data.totalPoints)} />
                  </Col>
                  <Col span={8}>
                    <Statistic title={t('points.outstandingValue')} value={money(liability.data.totalValueFen)} />
                  </Col>
                </Row>
                {liability.data.items.length ? (
                  <Chart option={chart} height={260} />
                ) : (
                  <EmptyState title={t('points.noLiability')} hint={t('points.noLiabilityHint')} />
                )}
              </>
            ) : (
              !liability.error && <Loading />
            )}
          </Card>
          <Card
            size="small"
            title={t('points.rewards')}
            extra={
              <Space>
                <ShowArchivedSwitch checked={showArchived} onChange={setShowArchived} testId="rewards-show-archived" />
                {writes && (
                  <Button
                    size="small"
                    icon={<PlusOutlined />}
                    onClick={() => setRewardOpen(true)}
                    data-testid="reward-new"
                  >
                    {t('points.addReward')}
                  </Button>
                )}
              </Space>
            }
          >
            <Table<Reward>
              rowKey="id"
              size="small"
              loading={rewards.loading}
              dataSource={rewards.data?.items ?? []}
              pagination={false}
              locale={{ emptyText: <EmptyState title={t('points.noRewards')} hint={t('points.noRewardsHint')} /> }}
              columns={[
                {
                  title: t('points.rewardName'),
                  dataIndex: 'name',
                  render: (v: string) => (
                    <>
                      <GiftOutlined /> {v}
                    </>
                  ),
                },
                {
                  title: t('points.rewardKind'),
                  dataIndex: 'kind',
                  render: (k: string) => <Tag>{t(`points.rewardKinds.${k}`, k)}</Tag>,
                },
                { title: t('points.cost'), dataIndex: 'pointsCost', align: 'right', render: (n: number) => count(n) },
                {
                  title: t('points.stock'),
                  dataIndex: 'stock',
                  align: 'right',
                  render: (n: number | null) => (n === null ? t('points.unlimited') : count(n)),
                },
                {
                  title: t('catalogue.status'),
                  key: 'status',
                  render: (_, r) =>
                    r.archivedAt ? (
                      <Tag>{t('catalogue.archived')}</Tag>
                    ) : (
                      <Tag color="green">{t('catalogue.redeemable')}</Tag>
                    ),
                },
                {
                  title: '',
                  key: 'a',
                  render: (_, r) =>
                    writes &&
                    !r.archivedAt && (
                      <Space size={4} data-testid={`reward-actions-${r.name}`}>
                        <Button size="small" type="link" onClick={() => setEditingReward(r)}>
                          {t('common.edit')}
                        </Button>
                        <ArchiveButton
                          title={t('catalogue.archiveRewardTitle', { name: r.name })}
                          text={t('catalogue.archiveRewardText')}
                          onConfirm={() => void archiveReward(r)}
                        />
                      </Space>
                    ),
                },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} xl={9}>
          <PointsSettingsCard />
        </Col>
      </Row>
      <GrantModal
        open={grantOpen}
        onClose={() => {
          setGrantOpen(false);
          liability.reload();
        }}
      />
      <RewardModal
        open={rewardOpen || editingReward !== null}
        reward={editingReward}
        onClose={() => {
          setRewardOpen(false);
          setEditingReward(null);
          rewards.reload();
        }}
      />
    </>
  );
}

function PointsSettingsCard() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const s = useApi('/points/settings');
  const [form] = Form.useForm();
  const { busy: saving, run } = useAction();
  useEffect(() => {
    if (s.data)
      form.setFieldsValue({
        perYuan: s.data.perYuan,
        pointsPerYuanValue: s.data.pointValueFen > 0 ? 100 / s.data.pointValueFen : 0,
        expiryKind: s.data.expiry.kind,
        expiryDays: s.data.expiry.kind === 'days' ? s.data.expiry.days : 365,
        returnWindowDays: s.data.returnWindowDays,
        earnRules: s.data.earnRules,
      });
  }, [s.data, form]);
  if (s.error) return <ErrorBox error={s.error} onRetry={s.reload} />;
  if (!s.data)
    return (
      <Card size="small">
        <Loading />
      </Card>
    );
  const save = () =>
    run(async () => {
      const v = await form.validateFields();
      await api.put('/points/settings', {
        ...s.data,
        perYuan: v.perYuan,
        pointValueFen: v.pointsPerYuanValue > 0 ? 100 / v.pointsPerYuanValue : 0,
        expiry: v.expiryKind === 'days' ? { kind: 'days', days: v.expiryDays } : { kind: v.expiryKind },
        returnWindowDays: v.returnWindowDays,
        earnRules: v.earnRules,
      });
      void message.success(t('common.saved'));
      s.reload();
    });
  return (
    <Card
      size="small"
      title={t('points.settings')}
      extra={
        // The earning rules are a setting: owners and admins save them.
        can(useMe(), 'settings:write') && (
          <Button size="small" type="primary" loading={saving} onClick={() => void save()}>
            {t('common.save')}
          </Button>
        )
      }
    >
      <Form form={form} layout="vertical" size="small">
        <Form.Item name="perYuan" label={t('points.perYuan')} rules={[{ required: true }]}>
          <InputNumber min={0} max={100} addonAfter={t('points.perYuanUnit')} />
        </Form.Item>
        <Form.Item name="pointsPerYuanValue" label={t('points.pointValue')} extra={t('points.pointValueHint')}>
          <InputNumber min={0} addonAfter={t('points.pointsPerYuan')} />
        </Form.Item>
        <Form.Item name="expiryKind" label={t('points.expiry')}>
          <Radio.Group
            options={['end_of_next_year', 'days', 'never'].map((k) => ({
              value: k,
              label: t(`points.expiryKinds.${k}`),
            }))}
          />
        </Form.Item>
        <Form.Item noStyle shouldUpdate={(a, b) => a.expiryKind !== b.expiryKind}>
          {({ getFieldValue }) =>
            getFieldValue('expiryKind') === 'days' && (
              <Form.Item name="expiryDays" label={t('points.expiryDays')}>
                <InputNumber min={1} addonAfter={t('common.days')} />
              </Form.Item>
            )
          }
        </Form.Item>
        <Form.Item label={t('points.earnRules')} extra={t('points.earnRulesHint')}>
          <Space wrap>
            <Form.Item name={['earnRules', 'photoReview', 'points']} noStyle>
              <InputNumber min={0} style={{ width: 170 }} addonBefore={t('points.photoReview')} />
            </Form.Item>
            <Form.Item name={['earnRules', 'photoReview', 'withinDays']} noStyle>
              <InputNumber min={1} max={90} style={{ width: 170 }} addonBefore={t('points.withinDays')} />
            </Form.Item>
            <Form.Item name={['earnRules', 'signIn', 'points']} noStyle>
              <InputNumber min={0} style={{ width: 170 }} addonBefore={t('points.signIn')} />
            </Form.Item>
            <Form.Item name={['earnRules', 'referral', 'points']} noStyle>
              <InputNumber min={0} style={{ width: 170 }} addonBefore={t('points.referral')} />
            </Form.Item>
            <Space size={6}>
              <Form.Item name={['earnRules', 'birthdayMultiplier']} valuePropName="checked" noStyle>
                <Switch size="small" />
              </Form.Item>
              {t('points.birthdayMultiplier')}
            </Space>
          </Space>
        </Form.Item>
        <Form.Item label={t('points.returnWindows')} extra={t('points.returnWindowsHint')}>
          <Space wrap>
            {Object.keys(s.data.returnWindowDays).map((p) => (
              <Form.Item key={p} name={['returnWindowDays', p]} noStyle>
                <InputNumber min={0} style={{ width: 150 }} addonBefore={t(`platforms.${p}`, p)} />
              </Form.Item>
            ))}
          </Space>
        </Form.Item>
      </Form>
    </Card>
  );
}

function GrantModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  return <GrantPointsModal open={open} onClose={onClose} />;
}

/** A new reward, or one edited (its kind stays). */
function RewardModal({ open, reward, onClose }: { open: boolean; reward: Reward | null; onClose: () => void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm();
  const templates = useApi(open ? '/coupons/templates' : null);
  const { busy, run } = useAction();
  const submit = () =>
    run(async () => {
      const v = await form.validateFields();
      const body = { ...v, stock: v.stock ?? null, couponTemplateId: v.couponTemplateId ?? null };
      if (reward) await api.put('/points/rewards/{id}', body, { params: { id: reward.id } });
      else await api.post('/points/rewards', body);
      form.resetFields();
      onClose();
    });
  return (
    <Modal
      open={open}
      title={reward ? t('catalogue.editReward') : t('points.addReward')}
      onOk={() => void submit()}
      onCancel={onClose}
      confirmLoading={busy}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        initialValues={
          reward
            ? {
                name: reward.name,
                kind: reward.kind,
                pointsCost: reward.pointsCost,
                stock: reward.stock ?? undefined,
                couponTemplateId: reward.couponTemplateId ?? undefined,
              }
            : { kind: 'gift' }
        }
      >
        <Form.Item
          name="name"
          label={t('points.rewardName')}
          rules={[{ required: true, whitespace: true, message: t('common.required') }]}
        >
          <Input maxLength={40} />
        </Form.Item>
        <Form.Item name="kind" label={t('points.rewardKind')} extra={reward ? t('catalogue.kindLocked') : undefined}>
          <Radio.Group
            disabled={reward !== null}
            options={['gift', 'cash_voucher'].map((k) => ({ value: k, label: t(`points.rewardKinds.${k}`) }))}
          />
        </Form.Item>
        <Form.Item noStyle shouldUpdate={(a, b) => a.kind !== b.kind}>
          {({ getFieldValue }) =>
            getFieldValue('kind') === 'cash_voucher' && (
              <Form.Item
                name="couponTemplateId"
                label={t('points.couponTemplate')}
                rules={[{ required: true, message: t('common.required') }]}
              >
                <Select options={(templates.data?.items ?? []).map((x) => ({ value: x.id, label: x.name }))} />
              </Form.Item>
            )
          }
        </Form.Item>
        <Form.Item
          name="pointsCost"
          label={t('points.cost')}
          rules={[{ required: true, message: t('common.required') }]}
        >
          <InputNumber min={1} />
        </Form.Item>
        <Form.Item name="stock" label={t('points.stock')} extra={t('points.stockHint')}>
          <InputNumber min={0} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
