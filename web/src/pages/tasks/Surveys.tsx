import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  Card,
  Col,
  Empty,
  Form,
  Input,
  List,
  Modal,
  Progress,
  Row,
  Select,
  Space,
  Statistic,
  Switch,
  Table,
  Typography,
} from 'antd';
import type { TFunction } from 'i18next';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type Answer, api, type Body } from '../../api';
import { Chart, type ChartOption } from '../../components/Chart';
import { EmptyState, ErrorBox, Loading } from '../../components/Status';
import { count, dateTime } from '../../format';
import { useAction, useApi } from '../../hooks';

type Survey = Answer<'/surveys'>['items'][number];
type Results = Answer<'/surveys/{id}/results'>;
type QuestionResult = Results['questions'][number];
type SurveyBody = Body<'/surveys', 'post'>;
const KINDS = ['score', 'nps', 'choice', 'text'] as const;

function defaultSurvey(t: TFunction): SurveyBody {
  return {
    name: t('surveys.defaults.name'),
    title: t('surveys.defaults.title'),
    intro: t('surveys.defaults.intro'),
    thanks: t('surveys.defaults.thanks'),
    questions: [
      { id: 'overall', kind: 'score', label: t('surveys.defaults.overall'), required: true },
      { id: 'nps', kind: 'nps', label: t('surveys.defaults.nps'), required: true },
      {
        id: 'issue',
        kind: 'choice',
        label: t('surveys.defaults.issue'),
        options: t('surveys.defaults.issueOptions').split(','),
        required: false,
      },
      { id: 'comment', kind: 'text', label: t('surveys.defaults.comment'), required: false },
    ],
  };
}

/** Survey definitions, their answer counts and the results of the one picked. */
export function Surveys() {
  const { t } = useTranslation();
  const list = useApi('/surveys');
  const [picked, setPicked] = useState<string | null>(null);
  const [editing, setEditing] = useState<Survey | 'new' | null>(null);
  const current = picked ?? list.data?.items[0]?.id ?? null;
  if (list.error) return <ErrorBox error={list.error} onRetry={list.reload} />;
  if (!list.data) return <Loading />;
  return (
    <Row gutter={16}>
      <Col xs={24} lg={8}>
        <Card
          size="small"
          title={t('tasks.surveys')}
          extra={
            <Button
              size="small"
              type="primary"
              icon={<PlusOutlined />}
              onClick={() => setEditing('new')}
              data-testid="new-survey"
            >
              {t('surveys.newSurvey')}
            </Button>
          }
        >
          {list.data.items.length === 0 ? (
            <EmptyState title={t('surveys.none')} hint={t('surveys.noneHint')} />
          ) : (
            <List
              dataSource={list.data.items}
              renderItem={(s) => (
                <List.Item
                  onClick={() => setPicked(s.id)}
                  style={{ cursor: 'pointer', background: s.id === current ? '#fff2e8' : undefined, paddingInline: 8 }}
                  actions={[
                    <Button key="e" type="link" size="small" onClick={() => setEditing(s)}>
                      {t('common.edit')}
                    </Button>,
                  ]}
                >
                  <List.Item.Meta
                    title={s.name}
                    description={[
                      `${t('surveys.invited')} ${count(s.invited)}`,
                      `${t('surveys.responses')} ${count(s.responses)}`,
                    ].join(' · ')}
                  />
                </List.Item>
              )}
            />
          )}
        </Card>
      </Col>
      <Col xs={24} lg={16}>
        {current && <SurveyResults id={current} />}
      </Col>
      <SurveyEditor
        survey={editing}
        onClose={() => setEditing(null)}
        onSaved={(id) => {
          setPicked(id);
          list.reload();
        }}
      />
    </Row>
  );
}

function SurveyEditor({
  survey,
  onClose,
  onSaved,
}: {
  survey: Survey | 'new' | null;
  onClose: () => void;
  onSaved: (id: string) => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { busy, run } = useAction();
  const [form] = Form.useForm<SurveyBody>();
  const initial = survey === 'new' ? defaultSurvey(t) : survey;
  const save = () =>
    run(async () => {
      const v = await form.validateFields();
      const body: SurveyBody = {
        ...v,
        questions: v.questions.map((q, i) => ({
          ...q,
          id: q.id || `q${i + 1}`,
          ...(q.kind === 'choice' ? { options: q.options ?? [] } : { options: undefined }),
        })),
      };
      const saved =
        survey === 'new' || survey === null
          ? await api.post('/surveys', body)
          : await api.put('/surveys/{id}', body, { params: { id: survey.id } });
      void message.success(t('surveys.saved'));
      onSaved(saved.id);
      onClose();
    });
  return (
    <Modal
      open={survey !== null}
      title={survey === 'new' ? t('surveys.newSurvey') : t('common.edit')}
      onOk={() => void save()}
      okText={t('common.save')}
      confirmLoading={busy}
      onCancel={onClose}
      width={720}
      destroyOnHidden
    >
      {initial && (
        <Form form={form} layout="vertical" initialValues={initial} preserve={false} data-testid="survey-form">
          <Row gutter={12}>
            <Col span={12}>
              <Form.Item
                name="name"
                label={t('surveys.name')}
                rules={[{ required: true, message: t('common.required') }]}
              >
                <Input maxLength={80} />
              </Form.Item>
            </Col>
            <Col span={12}>
              <Form.Item
                name="title"
                label={t('surveys.pageTitle')}
                rules={[{ required: true, message: t('common.required') }]}
              >
                <Input maxLength={100} />
              </Form.Item>
            </Col>
          </Row>
          <Form.Item name="intro" label={t('surveys.intro')}>
            <Input maxLength={500} />
          </Form.Item>
          <Form.Item name="thanks" label={t('surveys.thanks')}>
            <Input maxLength={300} />
          </Form.Item>
          <Typography.Text strong>{t('surveys.questions')}</Typography.Text>
          <Form.List name="questions">
            {(fields, { add, remove }) => (
              <>
                {fields.map((f) => (
                  <Card key={f.key} size="small" style={{ margin: '8px 0' }}>
                    <Space align="start" wrap style={{ width: '100%' }}>
                      <Form.Item
                        name={[f.name, 'kind']}
                        label={t('surveys.kind')}
                        style={{ width: 150, marginBottom: 8 }}
                      >
                        <Select options={KINDS.map((k) => ({ value: k, label: t(`surveys.kinds.${k}`) }))} />
                      </Form.Item>
                      <Form.Item
                        name={[f.name, 'label']}
                        label={t('surveys.question')}
                        rules={[{ required: true, message: t('common.required') }]}
                        style={{ width: 330, marginBottom: 8 }}
                      >
                        <Input maxLength={200} />
                      </Form.Item>
                      <Form.Item
                        name={[f.name, 'required']}
                        label={t('surveys.required')}
                        valuePropName="checked"
                        style={{ marginBottom: 8 }}
                      >
                        <Switch size="small" />
                      </Form.Item>
                      <Button
                        type="text"
                        danger
                        icon={<DeleteOutlined />}
                        onClick={() => remove(f.name)}
                        style={{ marginTop: 30 }}
                      />
                    </Space>
                    <Form.Item noStyle shouldUpdate>
                      {() =>
                        form.getFieldValue(['questions', f.name, 'kind']) === 'choice' ? (
                          <Form.Item
                            name={[f.name, 'options']}
                            label={t('surveys.options')}
                            style={{ marginBottom: 0 }}
                          >
                            <Select mode="tags" placeholder={t('surveys.optionsHint')} open={false} />
                          </Form.Item>
                        ) : null
                      }
                    </Form.Item>
                    <Form.Item name={[f.name, 'id']} hidden>
                      <Input />
                    </Form.Item>
                  </Card>
                ))}
                {fields.length < 10 && (
                  <Button
                    type="dashed"
                    block
                    icon={<PlusOutlined />}
                    onClick={() => add({ id: `q${Date.now().toString(36)}`, kind: 'score', label: '', required: true })}
                  >
                    {t('surveys.addQuestion')}
                  </Button>
                )}
              </>
            )}
          </Form.List>
        </Form>
      )}
    </Modal>
  );
}

function SurveyResults({ id }: { id: string }) {
  const { t } = useTranslation();
  const r = useApi('/surveys/{id}/results', { params: { id } });
  if (r.error) return <ErrorBox error={r.error} onRetry={r.reload} />;
  if (!r.data) return <Loading />;
  const d = r.data;
  return (
    <Card size="small" title={`${d.survey.name} · ${t('surveys.results')}`} data-testid="survey-results">
      <Row gutter={16} style={{ marginBottom: 16 }}>
        <Col span={6}>
          <Statistic title={t('surveys.invited')} value={count(d.invited)} />
        </Col>
        <Col span={6}>
          <Statistic title={t('surveys.opened')} value={count(d.opened)} />
        </Col>
        <Col span={6}>
          <Statistic title={t('surveys.responses')} value={count(d.responses)} />
        </Col>
        <Col span={6}>
          <Statistic title={t('surveys.responseRate')} value={d.responseRate === null ? '—' : `${d.responseRate}%`} />
        </Col>
      </Row>
      {d.responses === 0 ? (
        <Empty description={t('surveys.noAnswers')} />
      ) : (
        <Row gutter={[16, 16]}>
          {d.questions.map((q) => (
            <Col key={q.questionId} xs={24} md={12}>
              <QuestionCard q={q} />
            </Col>
          ))}
          <Col span={24}>
            <Typography.Text strong>{t('surveys.recent')}</Typography.Text>
            <Table
              rowKey="id"
              size="small"
              pagination={false}
              dataSource={d.recent}
              columns={[
                { title: t('tasks.customer'), render: (_, x) => x.customerName ?? x.customerId },
                { title: t('feedback.at'), render: (_, x) => dateTime(x.submittedAt) },
                ...d.survey.questions.map((q) => ({
                  title: q.label,
                  ellipsis: true,
                  render: (_: unknown, x: Results['recent'][number]) => {
                    const a = x.answers.find((y) => y.questionId === q.id);
                    return a ? (a.score ?? a.value ?? '—') : '—';
                  },
                })),
              ]}
            />
          </Col>
        </Row>
      )}
    </Card>
  );
}

function QuestionCard({ q }: { q: QuestionResult }) {
  const { t } = useTranslation();
  const option = useMemo<ChartOption>(() => {
    const keys = Object.keys(q.distribution);
    return {
      grid: { left: 8, right: 16, top: 8, bottom: 8, containLabel: true },
      tooltip: {},
      xAxis: { type: 'category', data: keys },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', data: keys.map((k) => q.distribution[k]), itemStyle: { color: '#fa541c' } }],
    };
  }, [q]);
  return (
    <Card size="small" title={q.label} extra={t('surveys.answered', { n: q.answered })}>
      {q.kind === 'text' ? (
        <List size="small" dataSource={q.texts} renderItem={(x) => <List.Item>{x}</List.Item>} />
      ) : (
        <>
          {q.average !== null && (
            <Space size="large">
              <Statistic title={t('surveys.average')} value={q.average} precision={2} />
              {q.nps !== null && <Statistic title={t('surveys.nps')} value={q.nps} />}
            </Space>
          )}
          {q.kind === 'score' && q.average !== null && (
            <Progress percent={(q.average / 5) * 100} showInfo={false} strokeColor="#fa541c" />
          )}
          <Chart option={option} height={160} />
        </>
      )}
    </Card>
  );
}
