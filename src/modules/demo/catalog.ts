/** What the demo shop sells and who buys it: women's apparel and cosmetics, as on Tmall. */
export const CATALOG: readonly { title: string; category: string; priceFen: number; weight: number }[] = [
  { title: '双面羊绒大衣女中长款', category: '女装/大衣', priceFen: 129900, weight: 2 },
  { title: '羊毛混纺茧型大衣', category: '女装/大衣', priceFen: 69900, weight: 3 },
  { title: '轻薄白鸭绒羽绒服', category: '女装/羽绒服', priceFen: 49900, weight: 4 },
  { title: '法式碎花连衣裙', category: '女装/连衣裙', priceFen: 25900, weight: 6 },
  { title: '真丝缎面吊带裙', category: '女装/连衣裙', priceFen: 45900, weight: 2 },
  { title: '圆领羊毛针织开衫', category: '女装/针织衫', priceFen: 19900, weight: 6 },
  { title: '高领打底毛衣', category: '女装/针织衫', priceFen: 12900, weight: 7 },
  { title: '纯棉宽松卫衣', category: '女装/卫衣', priceFen: 15900, weight: 6 },
  { title: '高腰 A 字半身裙', category: '女装/半身裙', priceFen: 16900, weight: 5 },
  { title: '冰丝阔腿裤', category: '女装/裤子', priceFen: 13900, weight: 6 },
  { title: '基础款纯棉 T 恤', category: '女装/T恤', priceFen: 5900, weight: 10 },
  { title: '玻尿酸补水面膜 10 片', category: '美妆/面膜', priceFen: 12800, weight: 10 },
  { title: '烟酰胺美白精华 30ml', category: '美妆/精华', priceFen: 26900, weight: 6 },
  { title: '丝绒哑光口红', category: '美妆/口红', priceFen: 15900, weight: 7 },
  { title: '清爽防晒乳 SPF50+', category: '美妆/防晒', priceFen: 9900, weight: 8 },
  { title: '氨基酸洗面奶', category: '美妆/洁面', priceFen: 6900, weight: 9 },
  { title: '羊绒围巾', category: '配饰/围巾', priceFen: 39900, weight: 3 },
  { title: '珍珠耳钉', category: '配饰/首饰', priceFen: 8900, weight: 4 },
];

/** Where Chinese online shoppers live, roughly as e-commerce demand splits by province. */
export const PROVINCE_WEIGHTS: readonly (readonly [string, number])[] = [
  ['广东省', 14],
  ['浙江省', 10],
  ['江苏省', 9.5],
  ['山东省', 6],
  ['上海市', 6.5],
  ['北京市', 5.5],
  ['福建省', 4.5],
  ['四川省', 4.5],
  ['河南省', 4.5],
  ['湖北省', 4],
  ['湖南省', 3.5],
  ['安徽省', 3.2],
  ['河北省', 3.2],
  ['辽宁省', 2.3],
  ['陕西省', 2.2],
  ['重庆市', 2.2],
  ['江西省', 2],
  ['广西壮族自治区', 2],
  ['云南省', 1.8],
  ['天津市', 1.6],
  ['山西省', 1.4],
  ['黑龙江省', 1.3],
  ['贵州省', 1.2],
  ['吉林省', 1],
  ['内蒙古自治区', 0.9],
  ['新疆维吾尔自治区', 0.7],
  ['甘肃省', 0.7],
  ['海南省', 0.6],
  ['宁夏回族自治区', 0.25],
  ['青海省', 0.2],
  ['西藏自治区', 0.1],
];

export const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
export const GIVEN_FEMALE = '静丽敏婷雪琳芳娜颖佳欣怡思雨萱梦晨璐倩瑶悦雅琪涵诗玥可馨蕾慧洁薇岚菲琦月彤妍宁婉晓珊';
export const GIVEN_MALE = '伟强磊军洋勇杰涛明超亮刚平辉鹏华飞鑫波斌宇浩凯健俊帆';
export const NICK_WORDS = ['小鱼儿', '糖糖', '暖暖', '喵喵', '阿狸', 'sunny', 'lucky', 'coco', '柠檬', '小桃子', '橙子', '静静', '米粒', '豆豆', '叶子', '兔兔', 'momo', 'yoyo', '西瓜', '奶茶'];

export const SOURCES: readonly (readonly [string, number])[] = [
  ['搜索', 30],
  ['直通车', 18],
  ['淘宝客', 10],
  ['直播', 14],
  ['聚划算', 8],
  ['天天特价', 5],
  ['店铺首页', 10],
  ['购物车', 5],
];
